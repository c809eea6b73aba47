import type { Command } from "../command.ts";
import { detectIdentity } from "../../runtime/identity.ts";
import { runInUserNamespace } from "../../runtime/in-userns.ts";
import { EXIT_RR_FAILED } from "../../errors.ts";

const command: Command = {
  summary: "Run a command as root of rr's user namespace (like podman unshare)",
  usage: `Usage:  rr unshare [COMMAND [ARG...]]

Runs COMMAND (default: $SHELL or /bin/sh) inside rr's user namespace, where
you are root and files of the store's subordinate ids can be read and removed.`,
  failureCode: EXIT_RR_FAILED,
  async run(argv, ctx) {
    const identity = detectIdentity(ctx.env);
    const cmd = argv.length ? argv : [ctx.env.SHELL || "/bin/sh"];
    if (identity.mode === "root") {
      const p = Bun.spawn(cmd, { stdio: ["inherit", "inherit", "inherit"] });
      return await p.exited;
    }
    return runInUserNamespace(identity, cmd, { RR_ROOT: ctx.storePaths().root });
  },
};
export default command;
