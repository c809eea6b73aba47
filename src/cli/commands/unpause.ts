import type { Command } from "../command.ts";
import { parseArgs } from "../args.ts";
import { unpauseContainer } from "../../runtime/container-pause.ts";
import { UsageError } from "../../errors.ts";
import { report } from "../report.ts";

const command: Command = {
  summary: "Unpause all processes within one or more containers",
  usage: `Usage:  rr unpause CONTAINER [CONTAINER...]

Unpause all processes within one or more containers`,
  async run(argv, ctx) {
    const { positionals } = parseArgs(argv, [], { command: "unpause" });
    if (!positionals.length) throw new UsageError(`"rr unpause" requires at least 1 argument.`, { hint: "See 'rr unpause --help'." });
    const root = ctx.storePaths().root;
    let failed = false;
    for (const ref of positionals) {
      try {
        await unpauseContainer(root, ref);
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
