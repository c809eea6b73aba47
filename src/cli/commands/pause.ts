import type { Command } from "../command.ts";
import { parseArgs } from "../args.ts";
import { pauseContainer } from "../../runtime/container-pause.ts";
import { UsageError } from "../../errors.ts";
import { report } from "../report.ts";

const command: Command = {
  summary: "Pause all processes within one or more containers",
  usage: `Usage:  rr pause CONTAINER [CONTAINER...]

Pause all processes within one or more containers

With a cgroup the container is frozen (cgroup freezer); rootless without a
delegated cgroup, every process of it gets SIGSTOP.`,
  async run(argv, ctx) {
    const { positionals } = parseArgs(argv, [], { command: "pause" });
    if (!positionals.length) throw new UsageError(`"rr pause" requires at least 1 argument.`, { hint: "See 'rr pause --help'." });
    const root = ctx.storePaths().root;
    let failed = false;
    for (const ref of positionals) {
      try {
        await pauseContainer(root, ref);
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
