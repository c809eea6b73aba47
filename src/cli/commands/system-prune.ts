/**
 * `rr system prune [-a] [-f] [--filter until=…|label=…]`: stopped containers,
 * unused networks, then dangling images (with -a every image no container
 * uses), with the blobs and unpacked layers nothing else needs. rr has no
 * volumes, and its build cache stays, so the warning lists only what it removes.
 */
import { bool, list } from "../args.ts";
import { familiarize } from "../../image/reference.ts";
import { listContainers } from "../../store/container-store.ts";
import { pruneImages } from "../../store/image-prune.ts";
import { pruneNetworks } from "../../network/network-store.ts";
import { naturalCompare } from "../../network/ports.ts";
import { stopIdleHolder } from "../../runtime/network-membership.ts";
import { normalizeId } from "../container-filters.ts";
import { humanSizeTotal } from "../go-text.ts";
import { openCliStore } from "../open-store.ts";
import { pruneCommand } from "../prune-command.ts";
import { pruneContainers } from "../prune-containers.ts";
import { layerPaths, removeStorePaths } from "../unpack.ts";

export default pruneCommand({
  command: "system prune",
  summary: "Remove unused data",
  optionsHelp: `  -a, --all             Remove all unused images not just dangling ones
      --filter filter   Provide filter values (e.g. "label=<key>=<value>")
  -f, --force           Do not prompt for confirmation`,
  options: [{ name: "all", short: "a" }],
  filters: true,
  question: (options) => warning(bool(options, "all"), list(options, "filter")),
  async prune(ctx, options, match) {
    const { store, identity } = await openCliStore(ctx);
    const containers = await pruneContainers(ctx, identity, match);
    if (containers.deleted.length) ctx.out(`Deleted Containers:\n${containers.deleted.join("\n")}\n\n`);
    const networks = pruneNetworks(store.root, (n) => match(n.created, n.labels));
    if (networks.length) ctx.out(`Deleted Networks:\n${networks.map((n) => n.name).sort(naturalCompare).join("\n")}\n\n`);
    stopIdleHolder(store.root);

    // An image the filters spare counts as used, so pruneImages keeps it.
    const kept = new Set(listContainers(store.root).map((c) => normalizeId(c.imageId)));
    for (const img of store.images.list()) {
      if (!match(img.created ?? "", (img.config.config?.Labels ?? {}) as Record<string, string>)) kept.add(img.id);
    }
    const images = pruneImages(store.images, { all: bool(options, "all"), usedImageIds: kept });
    await removeStorePaths(ctx, identity, layerPaths(images.unusedDiffIds));
    if (images.images.length) {
      const lines = images.images.flatMap((img) => [...img.untagged.map((n) => `untagged: ${familiarize(n)}`), `deleted: ${img.id}`]);
      ctx.out(`Deleted Images:\n${lines.join("\n")}\n\n`);
    }
    ctx.out(`Total reclaimed space: ${humanSizeTotal(containers.reclaimed + images.reclaimed)}`);
  },
});

/** Docker's confirmation text, filters included. */
function warning(all: boolean, filters: string[]): string {
  const items = ["all stopped containers", "all networks not used by at least one container", all ? "all images without at least one container associated to them" : "all dangling images"];
  const shown = filters.map((f) => f.replace(/^([^=]*)/, (k) => k.trim().toLowerCase())).sort();
  const filterText = shown.length ? `\n  Items to be pruned will be filtered with:\n${shown.map((f) => `  - ${f}`).join("\n")}\n` : "";
  return `WARNING! This will remove:\n${items.map((i) => `  - ${i}`).join("\n")}\n${filterText}`;
}
