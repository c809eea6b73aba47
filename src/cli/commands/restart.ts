import type { Command } from "../command.ts";
import { eachContainer } from "../each-container.ts";
import { openCliStore } from "../open-store.ts";
import { runEnvironment } from "../run-environment.ts";
import { parseStopArgs, STOP_OPTIONS } from "./stop.ts";
import { stopContainer } from "../../runtime/container-stop.ts";
import { startContainer } from "../../runtime/container-start.ts";

const command: Command = {
  summary: "Restart one or more containers",
  usage: `Usage:  rr restart [OPTIONS] CONTAINER [CONTAINER...]

Restart one or more containers

${STOP_OPTIONS}`,
  async run(argv, ctx) {
    const { refs, timeout, signal } = parseStopArgs(argv, "restart");
    const { store, identity } = await openCliStore(ctx);
    const env = runEnvironment(ctx, store.root, identity);
    return eachContainer(ctx, refs, async (rec, root) => {
      await startContainer(await stopContainer(root, rec, { timeout, signal }), env);
    });
  },
};
export default command;
