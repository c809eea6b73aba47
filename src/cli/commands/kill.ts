import type { Command } from "../command.ts";
import { parseArgs, str } from "../args.ts";
import { eachContainer, requireArgs } from "../each-container.ts";
import { killContainer } from "../../runtime/container-stop.ts";
import { signalNumber } from "../../runtime/signals.ts";

const command: Command = {
  summary: "Kill one or more running containers",
  usage: `Usage:  rr kill [OPTIONS] CONTAINER [CONTAINER...]

Kill one or more running containers

Options:
  -s, --signal string   Signal to send to the container (default "KILL")`,
  async run(argv, ctx) {
    const { options: o, positionals } = parseArgs(argv, [{ name: "signal", short: "s", value: true }], { command: "kill" });
    requireArgs("kill", positionals);
    const sig = str(o, "signal") ?? "KILL";
    signalNumber(sig); // a bad signal is a usage error before anything is touched
    return eachContainer(ctx, positionals, (rec, root) => killContainer(root, rec, sig));
  },
};
export default command;
