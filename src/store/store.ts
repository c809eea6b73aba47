/**
 * Opens (and on first use creates) a store: the OCI layout, layers, tmp,
 * and `identity.json`, the id mapping the store was made with. Files in a
 * store belong to mapped ids, so a store is refused under another mapping.
 * Opening also sweeps `$ROOT/tmp` entries left by processes that died.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { RrError } from "../errors.ts";
import { MediaType } from "../image/image-config.ts";
import type { IdMap, Identity, IdentityMode } from "../runtime/identity.ts";
import { writeJsonAtomic } from "./atomic.ts";
import { BlobStore } from "./blob-store.ts";
import { ImageStore } from "./image-store.ts";
import { withLock } from "./lock.ts";
import { processAlive } from "./process-alive.ts";
import { storeLayout, type StorePaths } from "./paths.ts";

export interface IdentityRecord {
  mode: IdentityMode;
  uidMap: IdMap[];
  gidMap: IdMap[];
}

export interface Store {
  paths: StorePaths;
  root: string;
  layout: ReturnType<typeof storeLayout>;
  identity: Identity;
  blobs: BlobStore;
  images: ImageStore;
  /** Stale tmp entries this process could not delete (owned by mapped ids). */
  leftovers: string[];
}

export function openStore(paths: StorePaths, identity: Identity): Store {
  const root = paths.root;
  const layout = storeLayout(root);
  const mode = 0o700;
  try {
    mkdirSync(root, { recursive: true, mode });
  } catch (err) {
    throw new RrError(`cannot create the store at "${root}"`, { cause: err, hint: "Choose another directory with --root." });
  }
  if (!existsSync(layout.ociLayout) || !existsSync(layout.identity) || !existsSync(layout.tmp)) {
    withLock(layout.lock, () => initialize(layout, identity));
  }
  checkIdentity(root, layout.identity, identity);
  const blobs = new BlobStore(root);
  return {
    paths, root, layout, identity, blobs,
    images: new ImageStore(root, blobs),
    leftovers: sweepStale(root, layout.tmp),
  };
}

function initialize(layout: ReturnType<typeof storeLayout>, identity: Identity): void {
  for (const d of [layout.blobs, layout.layers, layout.tmp]) mkdirSync(d, { recursive: true, mode: 0o700 });
  if (!existsSync(layout.ociLayout)) writeJsonAtomic(layout.ociLayout, { imageLayoutVersion: "1.0.0" });
  if (!existsSync(layout.index)) writeJsonAtomic(layout.index, { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] });
  if (!existsSync(layout.identity)) writeJsonAtomic(layout.identity, identityRecord(identity));
}

export function identityRecord(identity: Identity): IdentityRecord {
  return { mode: identity.mode, uidMap: identity.uidMap, gidMap: identity.gidMap };
}

function checkIdentity(root: string, file: string, identity: Identity): void {
  let stored: IdentityRecord;
  try {
    stored = JSON.parse(readFileSync(file, "utf8")) as IdentityRecord;
  } catch (err) {
    throw new RrError(`store "${root}" has a damaged identity.json`, { cause: err });
  }
  const now = identityRecord(identity);
  if (sameMapping(stored, now)) return;
  throw new RrError(
    `store "${root}" was made with the id mapping ${describeMapping(stored)}, but this rr runs with ${describeMapping(now)}`,
    {
      code: "IDENTITY_MISMATCH",
      hint: "Use another store (--root DIR or RR_ROOT), or remove this one (as its owner: 'rr unshare rm -rf DIR') to start over.",
    },
  );
}

function sameMapping(a: IdentityRecord, b: IdentityRecord): boolean {
  const key = (m: IdMap[]) => JSON.stringify((m ?? []).map((x) => [x.containerId, x.hostId, x.size]));
  return a.mode === b.mode && key(a.uidMap) === key(b.uidMap) && key(a.gidMap) === key(b.gidMap);
}

/** `rootless (uids 0→1000, 1-65536→100000)`: what the user needs to compare two mappings. */
export function describeMapping(r: IdentityRecord): string {
  if (r.mode === "root") return "root (no user namespace)";
  const ranges = (r.uidMap ?? []).map((m) => m.size === 1
    ? `${m.containerId}→${m.hostId}`
    : `${m.containerId}-${m.containerId + m.size - 1}→${m.hostId}-${m.hostId + m.size - 1}`);
  return `${r.mode} (uids ${ranges.join(", ") || "none"})`;
}

/**
 * Temporary entries are named `<kind>-<pid>-…`; those whose process is gone
 * are leftovers of a crash. Returns the ones that could not be removed here
 * (trees owned by subordinate ids need the user namespace).
 */
export function sweepStale(root: string, tmp: string): string[] {
  const leftovers: string[] = [];
  const sweep = (dir: string, pattern: RegExp) => {
    let names: string[];
    try { names = readdirSync(dir); } catch { return; }
    for (const name of names) {
      const m = pattern.exec(name);
      if (!m || isAlive(Number(m[1]))) continue;
      const path = join(dir, name);
      try { rmSync(path, { recursive: true, force: true }); } catch { leftovers.push(path); }
      if (existsSync(path)) { if (!leftovers.includes(path)) leftovers.push(path); }
    }
  };
  sweep(tmp, /^[a-z]+-(\d+)-/);
  // writeFileAtomic's temporaries beside index.json and friends.
  sweep(root, /^\.tmp-(\d+)-/);
  return leftovers;
}

/** A pid in a temporary's name that is not a positive number is not ours to judge: keep it. */
function isAlive(pid: number): boolean {
  return !Number.isSafeInteger(pid) || pid <= 0 || processAlive(pid);
}
