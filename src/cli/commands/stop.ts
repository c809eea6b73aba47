import type { Command } from "../command.ts";
import { parseArgs, str } from "../args.ts";
import { eachContainer, requireArgs } from "../each-container.ts";
import { stopContainer } from "../../runtime/container-stop.ts";
import { UsageError } from "../../errors.ts";

/** `stop` and `restart` share their options: -t/--time and -s/--signal. */
export function parseStopArgs(argv: string[], command: string): { refs: string[]; timeout?: number; signal?: string } {
  const { options: o, positionals } = parseArgs(argv, [
    { name: "time", short: "t", value: true }, { name: "signal", short: "s", value: true },
  ], { command });
  requireArgs(command, positionals);
  const time = str(o, "time");
  if (time !== undefined && !/^-?[0-9]+$/.test(time)) throw new UsageError(`invalid timeout "${time}": use whole seconds`);
  return { refs: positionals, timeout: time === undefined ? undefined : Number(time), signal: str(o, "signal") };
}

export const STOP_OPTIONS = `Options:
  -s, --signal string   Signal to send to the container
  -t, --time int        Seconds to wait before killing the container`;

const command: Command = {
  summary: "Stop one or more running containers",
  usage: `Usage:  rr stop [OPTIONS] CONTAINER [CONTAINER...]

Stop one or more running containers

${STOP_OPTIONS}`,
  async run(argv, ctx) {
    const { refs, timeout, signal } = parseStopArgs(argv, "stop");
    return eachContainer(ctx, refs, async (rec, root) => {
      await stopContainer(root, rec, { timeout, signal });
    });
  },
};
export default command;
