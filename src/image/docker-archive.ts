/**
 * Archives written by `docker save`: `manifest.json` lists, per image, the
 * config file, its RepoTags and its layer files. Both the classic layout
 * (`<id>/layer.tar`, `<hex>.json`) and Docker 25+'s (an OCI layout whose
 * `blobs/sha256/…` the manifest.json points into) read the same way.
 *
 * Each layer must hash to the config's `rootfs.diff_ids[i]` (after
 * decompression when the archive holds compressed layers): that is the
 * only digest a docker archive carries for its layers.
 */
import { createHash } from "node:crypto";
import { closeSync, openSync, readSync } from "node:fs";
import { DigestMismatchError, RrError } from "../errors.ts";
import type { StagedBlob } from "../store/blob-store.ts";
import type { StagedArchive } from "./archive-staging.ts";
import { decompress, detectCompression, readFileStream } from "./decompress.ts";
import { layerMediaType, MediaType, parseConfig, type ImageManifest } from "./image-config.ts";
import { parseReference } from "./reference.ts";

/** One image found in an archive, ready for ImageStore.addImage. */
export interface ArchiveImage {
  manifest: Uint8Array;
  config: Uint8Array;
  /** Full references. */
  names: string[];
  /** The staged blobs this image needs committed. */
  blobs: StagedBlob[];
}

interface ManifestEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

export function isDockerArchive(archive: StagedArchive): boolean {
  return archive.has("manifest.json");
}

export async function readDockerArchive(archive: StagedArchive): Promise<ArchiveImage[]> {
  const entries = archive.readJson("manifest.json");
  if (!Array.isArray(entries) || entries.length === 0) throw new RrError("invalid archive: manifest.json lists no images");
  const images: ArchiveImage[] = [];
  for (const [i, raw] of entries.entries()) {
    const e = raw as ManifestEntry;
    if (typeof e?.Config !== "string" || !Array.isArray(e.Layers)) {
      throw new RrError(`invalid archive: manifest.json entry ${i + 1} has no Config or Layers`);
    }
    images.push(await readEntry(archive, e));
  }
  return images;
}

async function readEntry(archive: StagedArchive, e: ManifestEntry): Promise<ArchiveImage> {
  const names = (e.RepoTags ?? []).map((t) => parseReference(t).toString());
  const label = names[0] ? `image "${names[0]}"` : `image "${e.Config}"`;
  const configFile = archive.get(e.Config);
  if (!configFile) throw new RrError(`invalid archive: config "${e.Config}" of ${label} is missing`);
  const configBytes = archive.readBytes(e.Config);
  const config = parseConfig(configBytes, `config of ${label}`);
  const diffIds = config.rootfs.diff_ids;
  if (diffIds.length !== e.Layers.length) {
    throw new RrError(`invalid archive: ${label} lists ${e.Layers.length} layers but its config has ${diffIds.length} diff_ids`);
  }
  const layers = [];
  const blobs: StagedBlob[] = [configFile];
  for (const [i, path] of e.Layers.entries()) {
    const staged = archive.get(path);
    if (!staged) throw new RrError(`invalid archive: layer "${path}" of ${label} is missing`);
    const what = `layer ${i + 1} of ${label} ("${path}") in the archive`;
    const mediaType = await checkLayer(staged, diffIds[i]!, what);
    layers.push({ mediaType, digest: staged.digest, size: staged.size });
    blobs.push(staged);
  }
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: configFile.digest, size: configFile.size },
    layers,
  };
  return { manifest: Buffer.from(JSON.stringify(manifest)), config: configBytes, names, blobs };
}

/**
 * Verifies a layer file against its diffId and returns the media type to
 * store it under: uncompressed tars as they are; compressed ones (Docker
 * with the containerd store saves them so) keep their compression.
 */
async function checkLayer(staged: StagedBlob, diffId: string, what: string): Promise<string> {
  if (staged.digest === diffId) return MediaType.ociLayer;
  const compression = detectCompression(readHead(staged.path), what);
  if (compression !== "none") {
    const hash = createHash("sha256");
    for await (const chunk of decompress(readFileStream(staged.path), what)) hash.update(chunk);
    const actual = `sha256:${hash.digest("hex")}`;
    if (actual === diffId) return layerMediaType(compression);
    throw new DigestMismatchError(diffId, actual, `wrong digest in an archive: ${what}`);
  }
  throw new DigestMismatchError(diffId, staged.digest, `wrong digest in an archive: ${what}`);
}

function readHead(path: string): Uint8Array {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.alloc(8);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}
