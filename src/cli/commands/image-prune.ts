/**
 * `rr image prune [-a] [-f]`: dangling images, or with -a every image no
 * container uses, with the blobs and unpacked layers nothing else needs.
 * Asks first, as Docker does, unless -f.
 */
import type { Command } from "../command.ts";
import { confirm } from "../confirm.ts";
import { cachedImageIds } from "../../store/build-cache.ts";
import { bool, parseArgs } from "../args.ts";
import { UsageError } from "../../errors.ts";
import { familiarize } from "../../image/reference.ts";
import { listContainers } from "../../store/container-store.ts";
import { pruneImages } from "../../store/image-prune.ts";
import { humanSize } from "../format.ts";
import { openCliStore } from "../open-store.ts";
import { layerPaths, removeStorePaths } from "../unpack.ts";

const USAGE = "Usage:  rr image prune [OPTIONS]";

const command: Command = {
  summary: "Remove unused images",
  usage: `${USAGE}

Remove unused images

Options:
  -a, --all     Remove all images not used by a container, not just dangling ones
  -f, --force   Do not prompt for confirmation`,
  async run(argv, ctx) {
    const { options, positionals } = parseArgs(argv, [
      { name: "all", short: "a" }, { name: "force", short: "f" }, { name: "filter", value: true, multiple: true },
    ], { command: "image prune" });
    if (positionals.length) throw new UsageError(`"rr image prune" accepts no arguments`, { hint: USAGE });
    if (options.filter) throw new UsageError("rr image prune does not support --filter yet");
    const all = bool(options, "all");
    if (!bool(options, "force")) {
      const what = all ? "all images without at least one container associated to them" : "all dangling images";
      if (!(await confirm(`WARNING! This will remove ${what}.`))) {
        ctx.out("");
        return 0;
      }
    }
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
    return 0;
  },
};


export default command;
