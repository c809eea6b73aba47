/**
 * Work on files owned by mapped ids (DESIGN invariant 6): as root rr does
 * it itself; rootless it re-executes itself as root of its user namespace
 * with a hidden command (`__unpack-layers`, see unpack-session.ts;
 * `__remove-paths`), so layer files get their owners at creation and can be
 * deleted again.
 */
import { existsSync, renameSync } from "node:fs";
import { join } from "node:path";
import { RrError } from "../errors.ts";
import type { Identity } from "../runtime/identity.ts";
import { BlobStore } from "../store/blob-store.ts";
import type { ImageRecord } from "../store/image-store.ts";
import { isUnpacked, removeTree } from "../store/layer-store.ts";
import { storeLayout } from "../store/paths.ts";
import type { CliContext } from "./context.ts";

export async function ensureLayersUnpacked(ctx: CliContext, identity: Identity, image: ImageRecord): Promise<void> {
  const root = ctx.storePaths().root;
  const missing = image.layers.filter((l) => !isUnpacked(root, l.diffId));
  if (!missing.length) return;
  const blobs = new BlobStore(root);
  // Loaded only now: `rr run` of an unpacked image must not pay for sockets and extraction.
  const { UnpackSession } = await import("./unpack-session.ts");
  const session = UnpackSession.open(ctx, identity);
  try {
    for (const l of missing) session.add({ blobPath: blobs.path(l.blobDigest), diffId: l.diffId, mediaType: l.mediaType });
    await session.commit();
  } finally {
    await session.close();
  }
}

/** Store-relative paths the hidden remover accepts: nothing outside these. */
const REMOVABLE = /^(?:layers\/[0-9a-f]{64}|tmp\/[A-Za-z0-9][\w.-]*|containers\/[A-Za-z0-9][\w.-]*)$/;

export function checkRemovable(rel: string): void {
  if (!REMOVABLE.test(rel) || rel.split("/").some((p) => p === "." || p === "..")) {
    throw new RrError(`refusing to remove "${rel}": not a layer, container or tmp entry of the store`);
  }
}

/**
 * Removes store entries (`layers/<hex>`, `containers/<id>`, `tmp/<name>`):
 * each is first renamed into `$ROOT/tmp`, so it vanishes at once and a crash
 * leaves only a stale tmp entry for the next sweep.
 */
export function removePathsHere(root: string, rels: string[], ownerPid = process.pid): void {
  const tmp = storeLayout(root).tmp;
  for (const rel of rels) {
    checkRemovable(rel);
    const path = join(root, rel);
    if (!existsSync(path)) continue;
    let doomed = path;
    if (!rel.startsWith("tmp/")) {
      doomed = join(tmp, `rm-${ownerPid}-${Math.random().toString(36).slice(2, 10)}`);
      renameSync(path, doomed);
    }
    removeTree(doomed);
  }
}

/** Removes store entries, inside the user namespace when rootless. */
export async function removeStorePaths(ctx: CliContext, identity: Identity, rels: string[]): Promise<void> {
  if (!rels.length) return;
  const root = ctx.storePaths().root;
  for (const rel of rels) checkRemovable(rel);
  if (identity.mode === "root") return removePathsHere(root, rels);
  const { runSelfInUserNamespace } = await import("../runtime/in-userns.ts");
  await runSelfInUserNamespace(identity, ["__remove-paths", "--root", root, "--owner-pid", String(process.pid), "--", ...rels]);
}

/** Unpacked layers by diffId, as store-relative paths for removeStorePaths. */
export function layerPaths(diffIds: string[]): string[] {
  return diffIds.map((d) => `layers/${d.replace(/^sha256:/, "")}`);
}
