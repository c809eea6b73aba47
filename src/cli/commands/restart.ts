import type { Command } from "../command.ts";
import { parseArgs, str } from "../args.ts";
import { eachContainer, requireArgs } from "../each-container.ts";
import { openCliStore } from "../open-store.ts";
import { runEnvironment } from "../run-environment.ts";
import { parseTimeout } from "./stop.ts";
import { stopContainer } from "../../runtime/container-stop.ts";
import { startContainer } from "../../runtime/container-start.ts";

const command: Command = {
  summary: "Restart one or more containers",
  usage: `Usage:  rr restart [OPTIONS] CONTAINER [CONTAINER...]

Restart one or more containers

Options:
  -s, --signal string   Signal to send to the container
  -t, --time int        Seconds to wait before killing the container`,
  async run(argv, ctx) {
    const { options: o, positionals } = parseArgs(argv, [
      { name: "time", short: "t", value: true }, { name: "signal", short: "s", value: true },
    ], { command: "restart" });
    requireArgs("restart", positionals);
    const timeout = parseTimeout(str(o, "time"));
    const { store, identity } = await openCliStore(ctx);
    const env = runEnvironment(ctx, store.root, identity);
    return eachContainer(ctx, positionals, async (rec, root) => {
      await startContainer(await stopContainer(root, rec, { timeout, signal: str(o, "signal") }), env);
    });
  },
};
export default command;
