import type { Command } from "../command.ts";
import { parseRunArgs, RUN_USAGE } from "../run-options.ts";
import { openCliStore } from "../open-store.ts";
import { ensureLayersUnpacked } from "../unpack.ts";
import { layerDir } from "../../store/layer-store.ts";
import { runContainer } from "../../runtime/container-run.ts";
import { removeContainerFiles } from "../remove-container.ts";
import { EXIT_RR_FAILED } from "../../errors.ts";
import { copyLayers } from "../../runtime/rootfs-copy.ts";
import { runSelfInUserNamespace } from "../../runtime/in-userns.ts";

const command: Command = {
  summary: "Create and run a new container from an image",
  usage: RUN_USAGE,
  failureCode: EXIT_RR_FAILED,
  async run(argv, ctx) {
    const req = parseRunArgs(argv, ctx.env);
    const { store, identity } = await openCliStore(ctx);
    const image = store.images.resolve(req.image);
    await ensureLayersUnpacked(ctx, identity, image);
    const root = store.root;
    return runContainer(
      req,
      {
        id: image.id,
        layerDirs: image.layers.map((l) => layerDir(root, l.diffId)).reverse(),
        config: image.config.config ?? {},
      },
      {
        root,
        identity,
        warn: (m) => ctx.warn(m),
        removeTree: async (dir) => removeContainerFiles(ctx, identity, dir.split("/").pop()!),
        copyRootfs: async (dest, layers) => {
          if (identity.mode === "root") return copyLayers(layers, dest);
          await runSelfInUserNamespace(identity, ["__copy-rootfs", dest, ...layers]);
        },
      },
    );
  },
};
export default command;
