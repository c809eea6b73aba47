import type { Command } from "../command.ts";
import { bool, parseArgs } from "../args.ts";
import { findContainer } from "../../store/container-store.ts";
import { detectIdentity } from "../../runtime/identity.ts";
import { removeContainerFiles } from "../remove-container.ts";
import { ConflictError, UsageError } from "../../errors.ts";
import { report } from "../report.ts";

const command: Command = {
  summary: "Remove one or more containers",
  usage: `Usage:  rr rm [OPTIONS] CONTAINER [CONTAINER...]

Remove one or more containers

Options:
  -f, --force   Force the removal of a running container (uses SIGKILL)`,
  async run(argv, ctx) {
    const { options: o, positionals } = parseArgs(argv, [{ name: "force", short: "f" }, { name: "volumes", short: "v" }], { command: "rm" });
    if (!positionals.length) throw new UsageError(`"rr rm" requires at least 1 argument.`, { hint: "See 'rr rm --help'." });
    const root = ctx.storePaths().root;
    const identity = detectIdentity(ctx.env);
    let failed = false;
    for (const ref of positionals) {
      try {
        const c = findContainer(root, ref);
        if (c.state.status === "running") {
          if (!bool(o, "force")) {
            throw new ConflictError(`cannot remove container "${ref}": container is running`, { hint: "Stop the container before removing it, or use rm -f." });
          }
          try { process.kill(c.state.pid!, "SIGKILL"); } catch {}
        }
        await removeContainerFiles(ctx, identity, c.id);
        ctx.out(ref);
      } catch (err) {
        report(err);
        failed = true;
      }
    }
    return failed ? 1 : 0;
  },
};
export default command;
