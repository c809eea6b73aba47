import type { Command } from "../command.ts";
import { parseArgs } from "../args.ts";
import { findContainer } from "../../store/container-store.ts";
import { portLines } from "../../network/ports.ts";
import { UsageError } from "../../errors.ts";
import { livePorts } from "../container-ports.ts";

const command: Command = {
  summary: "List port mappings or a specific mapping for the container",
  usage: `Usage:  rr port CONTAINER [PRIVATE_PORT[/PROTO]]

List port mappings or a specific mapping for the container`,
  async run(argv, ctx) {
    const { positionals } = parseArgs(argv, [], { command: "port" });
    if (positionals.length < 1 || positionals.length > 2) {
      throw new UsageError(`"rr port" requires 1 or 2 arguments.`, { hint: "See 'rr port --help'." });
    }
    const rec = findContainer(ctx.storePaths().root, positionals[0]!);
    for (const line of portLines(livePorts(rec), rec.name, positionals[1])) ctx.out(line);
    return 0;
  },
};
export default command;
