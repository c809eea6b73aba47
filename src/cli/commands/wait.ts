import type { Command } from "../command.ts";
import { parseArgs } from "../args.ts";
import { requireArgs } from "../each-container.ts";
import { report } from "../report.ts";
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
    let failed = false;
    for (const ref of positionals) {
      try {
        ctx.out(String(await waitForStop(root, findContainer(root, ref).id)));
      } catch (err) {
        report(err);
        failed = true;
      }
    }
    return failed ? 1 : 0;
  },
};
export default command;
