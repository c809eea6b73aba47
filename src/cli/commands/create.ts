import type { Command } from "../command.ts";
import { parseRunArgs, RUN_USAGE } from "../run-options.ts";
import { openCliStore } from "../open-store.ts";
import { imageForRun } from "../image-for-run.ts";
import { runEnvironment } from "../run-environment.ts";
import { createContainer } from "../../runtime/container-create.ts";
import { EXIT_RR_FAILED } from "../../errors.ts";

const command: Command = {
  summary: "Create a new container",
  usage: RUN_USAGE.replace("rr run", "rr create").replace("Create and run a new container", "Create a new container"),
  failureCode: EXIT_RR_FAILED,
  async run(argv, ctx) {
    const req = parseRunArgs(argv, ctx.env, "create");
    const { store, identity } = await openCliStore(ctx);
    const image = await imageForRun(ctx, store, identity, req.image, req.pull);
    const rec = await createContainer({ ...req, detach: true }, image, runEnvironment(ctx, store.root, identity));
    ctx.out(rec.id);
    return 0;
  },
};

export default command;
