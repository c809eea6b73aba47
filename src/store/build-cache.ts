/**
 * The build cache: what `rr build` made from (parent image, instruction,
 * build args, copied content). A key names the image a step produced;
 * entries are written atomically and an entry whose image is gone is a miss.
 */
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { writeFileAtomic } from "./atomic.ts";

const dirOf = (root: string) => join(root, "build-cache");

export function cacheKey(parts: string[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(`${p.length}:${p}`);
  return h.digest("hex");
}

export function cachedImage(root: string, key: string): string | undefined {
  try {
    return readFileSync(join(dirOf(root), key), "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

export function rememberImage(root: string, key: string, imageId: string): void {
  mkdirSync(dirOf(root), { recursive: true, mode: 0o700 });
  writeFileAtomic(join(dirOf(root), key), imageId + "\n", { fsync: false });
}

/** Image ids the cache refers to (intermediate images stay out of `rr images` and `image prune`). */
export function cachedImageIds(root: string): Set<string> {
  const ids = new Set<string>();
  let keys: string[] = [];
  try { keys = readdirSync(dirOf(root)); } catch {}
  for (const k of keys) {
    const id = cachedImage(root, k);
    if (id) ids.add(id);
  }
  return ids;
}
