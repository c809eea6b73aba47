import type { Command } from "../command.ts";
import { parseArgs } from "../args.ts";
import { unpauseContainer } from "../../runtime/container-pause.ts";
import { eachRef, requireArgs } from "../each-container.ts";

const command: Command = {
  summary: "Unpause all processes within one or more containers",
  usage: `Usage:  rr unpause CONTAINER [CONTAINER...]

Unpause all processes within one or more containers`,
  async run(argv, ctx) {
    const { positionals } = parseArgs(argv, [], { command: "unpause" });
    requireArgs("unpause", positionals);
    const root = ctx.storePaths().root;
    return eachRef(ctx, positionals, async (ref) => {
      await unpauseContainer(root, ref);
      return ref;
    });
  },
};
export default command;
