import type { Command } from "../command.ts";
import { parseArgs } from "../args.ts";
import { eachRef, requireArgs } from "../each-container.ts";
import { findContainer } from "../../store/container-store.ts";
import { waitForStop } from "../../runtime/container-stop.ts";

const command: Command = {
  summary: "Block until one or more containers stop, then print their exit codes",
  usage: `Usage:  rr wait CONTAINER [CONTAINER...]

Block until one or more containers stop, then print their exit codes`,
  async run(argv, ctx) {
    const { positionals } = parseArgs(argv, [], { command: "wait" });
    requireArgs("wait", positionals);
    const root = ctx.storePaths().root;
    return eachRef(ctx, positionals, async (ref) => String(await waitForStop(root, findContainer(root, ref).id)));
  },
};
export default command;
