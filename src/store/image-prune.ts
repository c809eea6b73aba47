/**
 * `image prune`: removes dangling images (no name), or with `all` every
 * image no container uses, together with the blobs nothing else needs.
 * Unpacked layers are left to the caller (they may belong to subordinate
 * ids and must be removed inside the user namespace): their diffIds come back.
 */
import { NotFoundError } from "../errors.ts";
import type { ImageStore } from "./image-store.ts";

export interface PrunedImage {
  id: string;
  /** Full names removed from it (none for a dangling image). */
  untagged: string[];
}

export interface PruneResult {
  images: PrunedImage[];
  /** diffIds no remaining image uses. */
  unusedDiffIds: string[];
  /** Bytes of the blobs deleted. */
  reclaimed: number;
}

export function pruneImages(images: ImageStore, opts: { all: boolean; usedImageIds: Set<string> }): PruneResult {
  const result: PruneResult = { images: [], unusedDiffIds: [], reclaimed: 0 };
  const candidates = images.list().filter((r) => !opts.usedImageIds.has(r.id) && (opts.all || r.names.length === 0));
  for (const image of candidates) {
    // Sizes first: remove() deletes the files it reports.
    const sizes = new Map<string, number>();
    for (const d of [image.manifestDigest, image.id, ...image.layers.map((l) => l.blobDigest)]) {
      sizes.set(d, images.blobs.size(d) ?? 0);
    }
    let removed;
    try {
      removed = images.remove(image.id);
    } catch (err) {
      if (err instanceof NotFoundError) continue; // another rr removed it meanwhile
      throw err;
    }
    result.images.push({ id: image.id, untagged: removed.removedNames });
    for (const b of removed.deletedBlobs) result.reclaimed += sizes.get(b) ?? 0;
    result.unusedDiffIds.push(...removed.unusedDiffIds);
  }
  // No duplicates, and nothing an image added meanwhile (by another rr) uses.
  const remaining = new Set(images.list().flatMap((r) => r.layers.map((l) => l.diffId)));
  result.unusedDiffIds = [...new Set(result.unusedDiffIds)].filter((d) => !remaining.has(d));
  return result;
}
