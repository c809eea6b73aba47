/**
 * `rr image prune [-a] [-f]`: dangling images, or with -a every image no
 * container uses, with the blobs and unpacked layers nothing else needs.
 * Asks first, as Docker does, unless -f.
 */
import { cachedImageIds } from "../../store/build-cache.ts";
import { bool } from "../args.ts";
import { familiarize } from "../../image/reference.ts";
import { listContainers } from "../../store/container-store.ts";
import { pruneImages } from "../../store/image-prune.ts";
import { humanSize } from "../format.ts";
import { openCliStore } from "../open-store.ts";
import { pruneCommand } from "../prune-command.ts";
import { layerPaths, removeStorePaths } from "../unpack.ts";

export default pruneCommand({
  command: "image prune",
  summary: "Remove unused images",
  optionsHelp: `  -a, --all     Remove all images not used by a container, not just dangling ones
  -f, --force   Do not prompt for confirmation`,
  options: [{ name: "all", short: "a" }],
  filters: false,
  question: (options) => `WARNING! This will remove ${bool(options, "all") ? "all images without at least one container associated to them" : "all dangling images"}.`,
  async prune(ctx, options) {
    const all = bool(options, "all");
    const { store, identity } = await openCliStore(ctx);
    const usedImageIds = new Set(listContainers(store.root).map((c) => `sha256:${c.imageId.replace(/^sha256:/, "")}`));
    // without -a, the build cache's intermediate images stay (Docker keeps images that have children)
    if (!all) for (const id of cachedImageIds(store.root)) usedImageIds.add(id);
    const result = pruneImages(store.images, { all, usedImageIds });
    await removeStorePaths(ctx, identity, layerPaths(result.unusedDiffIds));
    if (result.images.length) {
      ctx.out("Deleted Images:");
      for (const img of result.images) {
        for (const n of img.untagged) ctx.out(`untagged: ${familiarize(n)}`);
        ctx.out(`deleted: ${img.id}`);
      }
      ctx.out("");
    }
    ctx.out(`Total reclaimed space: ${humanSize(result.reclaimed)}`);
  },
});
