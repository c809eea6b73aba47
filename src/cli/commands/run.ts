import type { Command } from "../command.ts";
import { parseRunArgs, RUN_USAGE, type PullPolicy } from "../run-options.ts";
import type { CliContext } from "../context.ts";
import { parseReference } from "../../image/reference.ts";
import type { Identity } from "../../runtime/identity.ts";
import type { Store } from "../../store/store.ts";
import type { ImageRecord } from "../../store/image-store.ts";
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
    const image = await imageFor(ctx, store, identity, req.image, req.pull);
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
        removeContainer: (id) => removeContainerFiles(ctx, identity, id),
        copyRootfs: async (dest, layers) => {
          if (identity.mode === "root") return copyLayers(layers, dest);
          await runSelfInUserNamespace(identity, ["__copy-rootfs", dest, ...layers]);
        },
      },
    );
  },
};
/**
 * The image to run, pulled per `--pull`. Pull output goes to stderr: the
 * container's stdout stays the container's alone.
 */
async function imageFor(ctx: CliContext, store: Store, identity: Identity, name: string, policy: PullPolicy): Promise<ImageRecord> {
  if (policy !== "always") {
    const local = policy === "never" ? store.images.resolve(name) : store.images.find(name);
    if (local) return local;
    // Only names can be pulled; an unknown id stays "No such image".
    if (/^(sha256:)?[0-9a-f]{12,64}$/.test(name)) return store.images.resolve(name);
    let shown = name;
    try { shown = parseReference(name).familiar(); } catch {}
    process.stderr.write(`Unable to find image '${shown}' locally\n`);
  }
  const { pullForCli } = await import("../pull-image.ts");
  return (await pullForCli(ctx, store, identity, name, { out: process.stderr })).image;
}

export default command;
