import type { Command } from "../command.ts";
import { parseArgs, str } from "../args.ts";
import { eachContainer, requireArgs } from "../each-container.ts";
import { stopContainer } from "../../runtime/container-stop.ts";
import { UsageError } from "../../errors.ts";

export function parseTimeout(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^-?[0-9]+$/.test(text)) throw new UsageError(`invalid timeout "${text}": use whole seconds`);
  return Number(text);
}

const command: Command = {
  summary: "Stop one or more running containers",
  usage: `Usage:  rr stop [OPTIONS] CONTAINER [CONTAINER...]

Stop one or more running containers

Options:
  -s, --signal string   Signal to send to the container
  -t, --time int        Seconds to wait before killing the container`,
  async run(argv, ctx) {
    const { options: o, positionals } = parseArgs(argv, [
      { name: "time", short: "t", value: true }, { name: "signal", short: "s", value: true },
    ], { command: "stop" });
    requireArgs("stop", positionals);
    const timeout = parseTimeout(str(o, "time"));
    return eachContainer(ctx, positionals, async (rec, root) => {
      await stopContainer(root, rec, { timeout, signal: str(o, "signal") });
    });
  },
};
export default command;
