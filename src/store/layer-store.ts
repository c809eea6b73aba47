/**
 * Unpacked layer trees under `$ROOT/layers/<diffid-hex>/` (overlay lower
 * dirs). A tree appears only complete: it is extracted into `$ROOT/tmp` and
 * renamed into place after the uncompressed bytes hashed to the diffId.
 *
 * Files must be created with the owners the layer names, so this runs in a
 * process that can do that: rr itself as root, or rr re-executed as root of
 * its user namespace (src/cli/unpack.ts decides which).
 */
import { createHash, type Hash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { DigestMismatchError, RrError } from "../errors.ts";
import { layerCompression } from "../image/image-config.ts";
import { validateDigest } from "../image/reference.ts";
import { awaitVerdict, readGrowingFile, type GrowingBlob } from "./layer-follow.ts";
import { storeLayout } from "./paths.ts";

export interface UnpackResult {
  entries: number;
  bytes: number;
  skippedOwnership: number;
  skippedDevices: number;
}

export function layerDir(root: string, diffId: string): string {
  const { algorithm, hex } = validateDigest(diffId, "layer diff_id");
  if (algorithm !== "sha256") throw new RrError(`unsupported digest algorithm "${algorithm}" for layer "${diffId}"`);
  return join(storeLayout(root).layers, hex);
}

export function isUnpacked(root: string, diffId: string): boolean {
  return existsSync(layerDir(root, diffId));
}

/**
 * Extracts a layer blob. `ownerPid` names the process whose liveness keeps
 * the temporary directory from being cleaned as stale: inside a new PID
 * namespace our own pid means nothing outside, so the caller passes its own.
 * Returns undefined when another process had already unpacked it.
 */
export async function unpackLayer(
  root: string, blobPath: string, diffId: string, mediaType: string,
  onWarning: (message: string) => void = () => {}, opts: { ownerPid?: number } = {},
): Promise<UnpackResult | undefined> {
  if (existsSync(layerDir(root, diffId))) return undefined;
  const { tmp, result } = await extractLayerToTmp(root, blobPath, diffId, mediaType, onWarning, opts);
  return commitLayerTmp(root, tmp, diffId) ? result : undefined;
}

/** A layer extracted and verified against its diffId, not yet visible in `layers/`. */
export interface ExtractedLayer {
  tmp: string;
  result: UnpackResult;
}

/**
 * The first half of unpackLayer: extracts into a fresh `$ROOT/tmp` entry and
 * checks the diffId; the entry is removed again on any failure. `aborted`
 * is polled between chunks, so a pull that failed elsewhere stops promptly.
 */
export async function extractLayerToTmp(
  root: string, blobPath: string, diffId: string, mediaType: string,
  onWarning: (message: string) => void = () => {}, opts: { ownerPid?: number; aborted?: () => boolean; growing?: GrowingBlob } = {},
): Promise<ExtractedLayer> {
  layerDir(root, diffId); // validates the diffId before it names anything
  const layout = storeLayout(root);
  const tmp = join(layout.tmp, `layer-${opts.ownerPid ?? process.pid}-${diffId.slice(7, 19)}-${Math.random().toString(36).slice(2, 8)}`);
  try {
    // Unknown and foreign layer types are refused; otherwise the type is only
    // advisory: decompress() sniffs the bytes (docker-archive blobs are often
    // mislabeled) and the diffId check catches real damage.
    layerCompression(mediaType);
    // Loaded here, not at the top: `rr run` with unpacked layers needs only layerDir().
    const [{ decompress, readFileStream }, { extractLayer }] = await Promise.all([
      import("../image/decompress.ts"), import("../image/layer-extract.ts"),
    ]);
    const hash = createHash("sha256");
    // A blob still downloading is followed as it grows (src/store/layer-follow.ts).
    const raw = opts.growing ? readGrowingFile(blobPath, opts.growing, opts.aborted) : readFileStream(blobPath);
    const tee = hashingSource(decompress(abortable(raw, opts.aborted), `layer ${diffId}`), hash);
    mkdirSync(tmp, { mode: 0o755 });
    const result = await extractLayer(tee, tmp, { onWarning });
    await tee.drain(); // tar padding after the end-of-archive marker counts too
    const actual = `sha256:${hash.digest("hex")}`;
    if (actual !== diffId) throw new DigestMismatchError(diffId, actual, `layer ${diffId}`);
    // Valid only if the blob it came from is: its digest and size were checked too.
    if (opts.growing) await awaitVerdict(opts.growing, opts.aborted);
    return { tmp, result };
  } catch (err) {
    removeTree(tmp);
    if (err instanceof RrError) throw err;
    throw new RrError(`unpacking layer ${diffId}`, { cause: err });
  }
}

/**
 * The second half: renames an extracted tree into `layers/`. Returns false
 * (and removes ours) when another rr unpacked the same layer meanwhile:
 * theirs is as good as ours.
 */
export function commitLayerTmp(root: string, tmp: string, diffId: string): boolean {
  const dest = layerDir(root, diffId);
  mkdirSync(storeLayout(root).layers, { recursive: true, mode: 0o700 });
  if (existsSync(dest)) { removeTree(tmp); return false; }
  try {
    renameSync(tmp, dest);
    return true;
  } catch (err) {
    if (existsSync(dest)) { removeTree(tmp); return false; }
    throw new RrError(`unpacking layer ${diffId}`, { cause: err });
  }
}

async function* abortable(source: AsyncIterable<Uint8Array>, aborted?: () => boolean): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    if (aborted?.()) throw new RrError("unpacking aborted", { code: "ABORTED" });
    yield chunk;
  }
}

/**
 * Removes an unpacked layer: renamed into `$ROOT/tmp` first, so the tree
 * disappears at once and a crash halfway leaves only a stale tmp entry.
 */
export function removeLayer(root: string, diffId: string, opts: { ownerPid?: number } = {}): void {
  const dir = layerDir(root, diffId);
  if (!existsSync(dir)) return;
  const doomed = join(storeLayout(root).tmp, `rm-${opts.ownerPid ?? process.pid}-${diffId.slice(7, 19)}-${Math.random().toString(36).slice(2, 8)}`);
  renameSync(dir, doomed);
  removeTree(doomed);
}

/** rm -rf that also gets through directories the layer made read-only. */
export function removeTree(path: string): void {
  rmSync(path, { recursive: true, force: true, maxRetries: 2 });
}

/**
 * Passes chunks through while hashing them. The consumer may stop early
 * (the tar reader stops at the end-of-archive marker); `drain()` then hashes
 * the rest, so the digest always covers the whole stream.
 */
export function hashingSource(source: AsyncIterable<Uint8Array>, hash: Hash): AsyncIterable<Uint8Array> & { drain(): Promise<void> } {
  const it = source[Symbol.asyncIterator]();
  let done = false;
  const next = async (): Promise<IteratorResult<Uint8Array>> => {
    if (done) return { done: true, value: undefined };
    const r = await it.next();
    if (r.done) done = true;
    else hash.update(r.value);
    return r;
  };
  return {
    [Symbol.asyncIterator]: () => ({
      next,
      // Deliberately does not close the source: drain() still needs it.
      return: async () => ({ done: true, value: undefined }),
    }),
    drain: async () => { while (!(await next()).done); },
  };
}
