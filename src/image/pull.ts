/**
 * `pull`: resolve a reference to one image manifest (through an index by
 * platform), download its config and layers straight into the blob store's
 * staging area with digest and size verified, then register the image. No
 * blob becomes visible in the store before every one of them is verified:
 * they are committed together by `addImage`, under the store lock. A
 * LayerSink may unpack each layer while its blob streams into staging
 * (`begin`, then the download's verdict) or once it is verified (`ready`);
 * the image is registered only after the sink has unpacked (not yet
 * published) every layer.
 */
import { createHash } from "node:crypto";
import { DigestMismatchError, RrError } from "../errors.ts";
import type { StagedBlob } from "../store/blob-store.ts";
import type { ImageRecord } from "../store/image-store.ts";
import type { Store } from "../store/store.ts";
import {
  hostPlatform, isIndexType, layerCompression, MediaType, parseConfig, parseIndex, parseManifest, selectPlatform,
  type Descriptor, type ImageConfig, type ImageManifest, type Platform,
} from "./image-config.ts";
import { parseReference, type Reference } from "./reference.ts";
import type { RegistryClient } from "./registry/client.ts";

export type LayerStatus = "Pulling fs layer" | "Waiting" | "Already exists" | "Downloading" | "Download complete";

export interface PullEvents {
  /** A layer changed state; `current`/`total` are bytes while downloading. */
  layer?(id: string, status: LayerStatus, current?: number, total?: number): void;
  warn?(message: string): void;
}

/**
 * Where layers go to be unpacked while the pull goes on (src/cli/unpack-session.ts).
 * Each is handed over once its blob is verified; the image is registered
 * only after `settled()`, so a layer that fails to unpack fails the pull.
 */
export interface LayerSink {
  /** The layer's blob is verified at `blobPath` (staged, or already in the store). */
  ready(layer: { digest: string; diffId: string; mediaType: string }, blobPath: string): void;
  /**
   * The layer's blob is about to be downloaded into `blobPath`: the sink may
   * unpack it while it grows, and then gets the verdict through what it
   * returns instead of a `ready()` call.
   */
  begin?(layer: { digest: string; diffId: string; mediaType: string }, blobPath: string): BlobVerdict | undefined;
  /** Set once unpacking failed: downloads stop. */
  failure(): unknown;
  settled(): Promise<void>;
}

/** How a download ended: verified at `size` bytes, or failed. */
export interface BlobVerdict {
  finish(size: number): void;
  fail(err: unknown): void;
}

export interface PullResult {
  image: ImageRecord;
  /** Digest of the manifest (or index) the reference named: what `Digest:` shows. */
  digest: string;
  /** The names the image got (none for a pull by digest, as in Docker). */
  names: string[];
  /** The image was in the store under this name already. */
  upToDate: boolean;
  existedBefore: boolean;
}

export const PULL_CONCURRENCY = 3;
const MAX_CONFIG_BYTES = 16 << 20;
const FOREIGN = new Set<string>([
  MediaType.dockerForeignLayerGzip, MediaType.ociNondistributable, MediaType.ociNondistributableGzip, MediaType.ociNondistributableZstd,
]);

/** The 12-hex id Docker shows for a layer. */
export function shortId(digest: string): string {
  return digest.slice(digest.indexOf(":") + 1, digest.indexOf(":") + 13);
}

/** `linux/arm64/v8` → Platform; `linux` alone means this machine's architecture. */
export function parsePlatform(spec: string): Platform {
  const [os, architecture, variant, extra] = spec.split("/");
  if (!os || extra !== undefined || (architecture !== undefined && !architecture)) {
    throw new RrError(`invalid platform "${spec}": expected OS/ARCH[/VARIANT], e.g. linux/amd64`, { code: "USAGE" });
  }
  const p: Platform = { os, architecture: architecture ?? hostPlatform().architecture };
  if (variant) p.variant = variant;
  return p;
}

export function formatPlatform(p: { os: string; architecture: string; variant?: string }): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join("/");
}

export async function pullImage(
  store: Store, client: RegistryClient, ref: Reference, opts: { platform?: Platform; events?: PullEvents; unpack?: LayerSink } = {},
): Promise<PullResult> {
  const events = opts.events ?? {};
  const want = opts.platform ?? hostPlatform();
  const top = await client.getManifest(ref);
  let manifestBytes = top.bytes;
  let manifestType = top.mediaType;
  let manifestDigest = top.digest;
  if (isIndexType(top.mediaType)) {
    const index = parseIndex(top.bytes, "index", top.mediaType);
    const chosen = selectPlatform(index, want);
    if (!chosen) {
      const have = index.manifests.filter((m) => m.platform).map((m) => formatPlatform(m.platform!)).join(", ");
      throw new RrError(`no matching manifest for ${formatPlatform(want)} in the manifest list entries`, {
        code: "NO_PLATFORM", hint: have ? `The image is available for: ${have}. Choose one with --platform.` : undefined,
      });
    }
    const sub = await client.getManifest(parseReference(`${ref.name()}@${chosen.digest}`));
    if (sub.mediaType !== chosen.mediaType) {
      throw new RrError(`manifest ${chosen.digest}: media type "${sub.mediaType}" contradicts the index's "${chosen.mediaType}"`);
    }
    ({ bytes: manifestBytes, mediaType: manifestType, digest: manifestDigest } = sub);
  }
  const manifest = parseManifest(manifestBytes, `manifest ${manifestDigest}`, manifestType);
  checkManifest(manifest);
  const names = ref.digest ? [] : [ref.toString()];
  const existing = store.images.list().find((i) => i.manifestDigest === manifestDigest);
  if (existing && names.every((n) => existing.names.includes(n))) {
    return { image: existing, digest: top.digest, names, upToDate: true, existedBefore: true };
  }

  const configBytes = store.blobs.has(manifest.config.digest)
    ? store.blobs.readBytes(manifest.config.digest)
    : await readVerified(await client.blobStream(ref, manifest.config.digest), manifest.config, MAX_CONFIG_BYTES);
  const config = parseConfig(configBytes, `config ${manifest.config.digest}`);
  checkConfig(config, manifest, want, opts.platform !== undefined, events);

  const staged = await downloadLayers(store, client, ref, manifest.layers, config.rootfs.diff_ids, events, opts.unpack);
  try {
    await opts.unpack?.settled();
    const { image } = store.images.addImage({ manifest: manifestBytes, config: configBytes, names, staged });
    return { image, digest: top.digest, names, upToDate: false, existedBefore: existing !== undefined };
  } catch (err) {
    for (const s of staged) store.blobs.discard(s);
    throw err;
  }
}

/** Refuses what rr could not unpack before a single layer is fetched. */
function checkManifest(m: ImageManifest): void {
  const ct = m.config.mediaType;
  if (ct !== MediaType.ociConfig && ct !== MediaType.dockerConfig) {
    throw new RrError(`not a container image: its config has media type "${ct}"`, { hint: "This is probably an OCI artifact (a chart, a signature…), not something rr can run." });
  }
  for (const l of m.layers) {
    if (FOREIGN.has(l.mediaType)) {
      if (!l.urls?.length) throw new RrError(`layer ${l.digest} is non-distributable (foreign) and its descriptor lists no URLs to fetch it from`);
      continue;
    }
    layerCompression(l.mediaType);
  }
}

function checkConfig(config: ImageConfig, m: ImageManifest, want: Platform, explicit: boolean, events: PullEvents): void {
  if (config.rootfs.diff_ids.length !== m.layers.length) {
    throw new RrError(`invalid image: the manifest has ${m.layers.length} layers but the config ${config.rootfs.diff_ids.length} diff_ids`);
  }
  if (config.os !== want.os || config.architecture !== want.architecture) {
    const got = formatPlatform(config);
    if (explicit) throw new RrError(`image is for ${got}, which does not match the requested platform ${formatPlatform(want)}`, { code: "NO_PLATFORM" });
    events.warn?.(`the image's platform (${got}) does not match this machine's (${formatPlatform(want)})`);
  }
}

/**
 * Fetches the layers the store lacks, PULL_CONCURRENCY at a time; all staged
 * or none. Each verified blob goes on to `sink` at once, so unpacking
 * overlaps the downloads still running.
 */
async function downloadLayers(
  store: Store, client: RegistryClient, ref: Reference, layers: Descriptor[], diffIds: string[], events: PullEvents, sink?: LayerSink,
): Promise<StagedBlob[]> {
  const todo: Descriptor[] = [];
  const diffIdOf = new Map(layers.map((l, i) => [l.digest, diffIds[i]!]));
  const info = (l: Descriptor) => ({ digest: l.digest, diffId: diffIdOf.get(l.digest)!, mediaType: l.mediaType });
  const ready = (l: Descriptor, path: string) => sink?.ready(info(l), path);
  for (const l of layers) {
    const id = shortId(l.digest);
    if (store.blobs.size(l.digest) === l.size || todo.some((t) => t.digest === l.digest)) {
      if (!todo.some((t) => t.digest === l.digest)) {
        events.layer?.(id, "Already exists");
        ready(l, store.blobs.path(l.digest)); // the sink skips it if it is unpacked too
      }
      continue;
    }
    todo.push(l);
    events.layer?.(id, "Pulling fs layer");
  }
  const staged: StagedBlob[] = [];
  let failure: unknown;
  let next = 0;
  // Why to stop early: another download failed, or unpacking did (then that is the error to show).
  const stop = () => (failure !== undefined ? new RrError("pull aborted") : sink?.failure());
  const worker = async () => {
    while (stop() === undefined && next < todo.length) {
      const l = todo[next++]!;
      try {
        let verdict: BlobVerdict | undefined;
        const begin = sink?.begin && ((path: string) => { verdict = sink.begin!(info(l), path); });
        const s = await downloadOne(store, client, ref, l, events, stop, begin, () => verdict);
        staged.push(s);
        if (!verdict) ready(l, s.path);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PULL_CONCURRENCY, todo.length) }, worker));
  if (failure !== undefined) {
    for (const s of staged) store.blobs.discard(s);
    throw failure;
  }
  return staged;
}

async function downloadOne(
  store: Store, client: RegistryClient, ref: Reference, l: Descriptor, events: PullEvents, stop: () => unknown,
  onOpen?: (path: string) => void, verdict: () => BlobVerdict | undefined = () => undefined,
): Promise<StagedBlob> {
  const id = shortId(l.digest);
  const blob = FOREIGN.has(l.mediaType) ? await fetchForeign(client, l) : await client.blobStream(ref, l.digest);
  let current = 0;
  let reported = 0;
  let stopped: unknown;
  async function* counted(): AsyncGenerator<Uint8Array> {
    for await (const c of blob.chunks) {
      // Another layer failed: stop reading so the pull ends promptly.
      const why = stop();
      if (why !== undefined) throw (stopped = why);
      current += c.length;
      if (current - reported >= 256 * 1024 || current === l.size) {
        reported = current;
        events.layer?.(id, "Downloading", current, l.size);
      }
      yield c;
    }
  }
  let s: StagedBlob;
  try {
    s = await store.blobs.stage(counted(), { expected: { digest: l.digest, size: l.size }, what: `layer ${l.digest}`, onOpen });
  } catch (err) {
    verdict()?.fail(err);
    if (stopped !== undefined && err === stopped) throw err; // not this download's fault
    // A short body fails the digest check first; the size says what really happened.
    if (err instanceof DigestMismatchError && current < l.size) {
      throw new RrError(`layer ${l.digest}: size mismatch: expected ${l.size} bytes, got ${current} (truncated download)`, { code: "DIGEST_MISMATCH" });
    }
    throw err;
  }
  events.layer?.(id, "Download complete");
  verdict()?.finish(s.size);
  return s;
}

async function fetchForeign(client: RegistryClient, l: Descriptor) {
  let last: unknown;
  for (const url of l.urls ?? []) {
    try { return await client.foreignBlob(url); } catch (err) { last = err; }
  }
  throw new RrError(`foreign layer ${l.digest}: none of its URLs could be fetched`, { cause: last });
}

/** Reads a small blob into memory, checking size and digest before anyone parses it. */
async function readVerified(blob: { chunks: AsyncIterable<Uint8Array> }, d: Descriptor, max: number): Promise<Buffer> {
  if (d.size > max) throw new RrError(`config ${d.digest} is too large (${d.size} bytes)`);
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const c of blob.chunks) {
    n += c.length;
    if (n > d.size) throw new RrError(`config ${d.digest}: more data than the ${d.size} bytes expected`, { code: "DIGEST_MISMATCH" });
    parts.push(c);
  }
  const bytes = Buffer.concat(parts);
  if (n !== d.size) throw new RrError(`config ${d.digest}: size mismatch: expected ${d.size} bytes, got ${n}`, { code: "DIGEST_MISMATCH" });
  const actual = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
  if (actual !== d.digest) throw new DigestMismatchError(d.digest, actual, `config ${d.digest}`);
  return bytes;
}
