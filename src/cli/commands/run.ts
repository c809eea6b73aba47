import type { Command } from "../command.ts";
import { parseRunArgs, RUN_USAGE } from "../run-options.ts";
import { openCliStore } from "../open-store.ts";
import { imageForRun } from "../image-for-run.ts";
import { runEnvironment } from "../run-environment.ts";
import { runContainer } from "../../runtime/container-run.ts";
import { EXIT_RR_FAILED } from "../../errors.ts";

const command: Command = {
  summary: "Create and run a new container from an image",
  usage: RUN_USAGE,
  failureCode: EXIT_RR_FAILED,
  async run(argv, ctx) {
    const req = parseRunArgs(argv, ctx.env);
    const { store, identity } = await openCliStore(ctx);
    const image = await imageForRun(ctx, store, identity, req.image, req.pull);
    const env = runEnvironment(ctx, store.root, identity);
    if (!req.detach) return runContainer(req, image, env);
    const { createContainer } = await import("../../runtime/container-create.ts");
    const { startContainer } = await import("../../runtime/container-start.ts");
    const { withContainerLock } = await import("../../store/container-store.ts");
    const rec = await createContainer(req, image, env);
    try {
      await withContainerLock(store.root, rec.id, () => startContainer(rec, env));
    } catch (err) {
      if (rec.autoRemove) await env.removeContainer(rec.id).catch(() => {});
      throw err;
    }
    ctx.out(rec.id);
    return 0;
  },
};

export default command;
