import type { Command } from "../command.ts";
import { parseArgs } from "../args.ts";
import { pauseContainer } from "../../runtime/container-pause.ts";
import { eachRef, requireArgs } from "../each-container.ts";

const command: Command = {
  summary: "Pause all processes within one or more containers",
  usage: `Usage:  rr pause CONTAINER [CONTAINER...]

Pause all processes within one or more containers

With a cgroup the container is frozen (cgroup freezer); rootless without a
delegated cgroup, every process of it gets SIGSTOP.`,
  async run(argv, ctx) {
    const { positionals } = parseArgs(argv, [], { command: "pause" });
    requireArgs("pause", positionals);
    const root = ctx.storePaths().root;
    return eachRef(ctx, positionals, async (ref) => {
      await pauseContainer(root, ref);
      return ref;
    });
  },
};
export default command;
