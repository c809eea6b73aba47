import type { Command } from "../command.ts";
import { bool, parseArgs } from "../args.ts";
import { eachContainer, requireArgs } from "../each-container.ts";
import { detectIdentity } from "../../runtime/identity.ts";
import { isLive, stopContainer } from "../../runtime/container-stop.ts";
import { removeContainerFiles } from "../remove-container.ts";
import { ConflictError } from "../../errors.ts";

const command: Command = {
  summary: "Remove one or more containers",
  usage: `Usage:  rr rm [OPTIONS] CONTAINER [CONTAINER...]

Remove one or more containers

Options:
  -f, --force     Force the removal of a running container (uses SIGKILL)
  -v, --volumes   Remove anonymous volumes associated with the container`,
  async run(argv, ctx) {
    const { options: o, positionals } = parseArgs(argv, [{ name: "force", short: "f" }, { name: "volumes", short: "v" }], { command: "rm" });
    requireArgs("rm", positionals);
    const identity = detectIdentity(ctx.env);
    return eachContainer(ctx, positionals, async (rec, root) => {
      if (isLive(rec)) {
        if (!bool(o, "force")) {
          throw new ConflictError(`cannot remove container "${rec.name}": container is ${rec.state.status}`, {
            hint: "Stop the container before removing it, or use rm -f.",
          });
        }
        await stopContainer(root, rec, { timeout: 0, signal: "SIGKILL" });
      }
      await removeContainerFiles(ctx, identity, rec.id);
    });
  },
};
export default command;
