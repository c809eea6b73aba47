/**
 * OCI image layouts in a tar (`skopeo copy … oci-archive:FILE[:NAME]`,
 * `buildah push … oci-archive:`): `index.json` points at manifests (or at
 * image indexes, of which this machine's platform is taken), all blobs are
 * under `blobs/sha256/` and were verified against their names while staged.
 * Blobs are kept as they are, so manifest digests stay the registry's.
 */
import { RrError } from "../errors.ts";
import type { StagedBlob } from "../store/blob-store.ts";
import type { StagedArchive } from "./archive-staging.ts";
import type { ArchiveImage } from "./docker-archive.ts";
import {
  ANNOTATION_CONTAINERD_NAME, ANNOTATION_REF_NAME, hostPlatform, isIndexType, isManifestType,
  layerCompression, parseConfig, parseIndex, parseManifest, type Descriptor,
} from "./image-config.ts";
import { parseReference, validateDigest } from "./reference.ts";

export function isOciArchive(archive: StagedArchive): boolean {
  return archive.has("index.json");
}

export function readOciArchive(archive: StagedArchive): ArchiveImage[] {
  const index = parseIndex(archive.readBytes("index.json"), "index.json of the archive");
  const byManifest = new Map<string, ArchiveImage>();
  for (const desc of index.manifests) {
    const image = readImage(archive, desc, 0);
    if (!image) continue;
    const key = image.blobs[0]!.digest; // the manifest blob
    const seen = byManifest.get(key);
    const names = namesOf(desc);
    if (seen) seen.names.push(...names.filter((n) => !seen.names.includes(n)));
    else byManifest.set(key, { ...image, names });
  }
  if (byManifest.size === 0) {
    const p = hostPlatform();
    throw new RrError(`the archive has no image for this platform (${p.os}/${p.architecture})`);
  }
  return [...byManifest.values()];
}

/**
 * Names from a descriptor's annotations. Docker 25+ writes the full name in
 * `io.containerd.image.name`; skopeo writes what followed the file name in
 * `oci-archive:FILE:NAME`. A bare word there (`latest`) is usually only a
 * tag, so only names with a `/` or `:` count.
 */
function namesOf(desc: Descriptor): string[] {
  const a = desc.annotations ?? {};
  const candidates = [a[ANNOTATION_CONTAINERD_NAME], a[ANNOTATION_REF_NAME]];
  for (const c of candidates) {
    if (!c || !/[/:]/.test(c)) continue;
    try {
      const ref = parseReference(c);
      if (!ref.digest) return [ref.toString()];
    } catch {
      // Not a Docker reference (OCI allows more): the image stays unnamed.
    }
  }
  return [];
}

function readImage(archive: StagedArchive, desc: Descriptor, depth: number): Omit<ArchiveImage, "names"> | undefined {
  if (depth > 2) throw new RrError("invalid archive: image indexes nested too deeply");
  const blob = blobOf(archive, desc.digest, `${desc.mediaType} ${desc.digest}`);
  if (blob.size !== desc.size) throw new RrError(`invalid archive: blob ${desc.digest} is ${blob.size} bytes, its descriptor says ${desc.size}`);
  const bytes = archive.readBytes(blobPath(desc.digest));
  if (isIndexType(desc.mediaType)) {
    const index = parseIndex(bytes, `index ${desc.digest}`, desc.mediaType);
    const p = hostPlatform();
    const chosen = index.manifests.filter((m) => isManifestType(m.mediaType) || isIndexType(m.mediaType)).find((m) =>
      !m.platform || (m.platform.os === p.os && m.platform.architecture === p.architecture));
    return chosen ? readImage(archive, chosen, depth + 1) : undefined;
  }
  if (!isManifestType(desc.mediaType)) return undefined; // artifacts, signatures: not images
  const manifest = parseManifest(bytes, `manifest ${desc.digest}`, desc.mediaType);
  const configBlob = blobOf(archive, manifest.config.digest, `config of manifest ${desc.digest}`);
  const configBytes = archive.readBytes(blobPath(manifest.config.digest));
  const config = parseConfig(configBytes, `config ${manifest.config.digest}`);
  if (config.rootfs.diff_ids.length !== manifest.layers.length) {
    throw new RrError(`invalid archive: manifest ${desc.digest} has ${manifest.layers.length} layers but its config has ${config.rootfs.diff_ids.length} diff_ids`);
  }
  const blobs: StagedBlob[] = [blob, configBlob];
  for (const layer of manifest.layers) {
    layerCompression(layer.mediaType); // refuses foreign and unknown layer types now, not at run time
    const b = blobOf(archive, layer.digest, `layer of manifest ${desc.digest}`);
    if (b.size !== layer.size) throw new RrError(`invalid archive: layer ${layer.digest} is ${b.size} bytes, its descriptor says ${layer.size}`);
    blobs.push(b);
  }
  return { manifest: bytes, config: configBytes, blobs };
}

function blobPath(digest: string): string {
  const { algorithm, hex } = validateDigest(digest, "digest in the archive");
  return `blobs/${algorithm}/${hex}`;
}

function blobOf(archive: StagedArchive, digest: string, what: string): StagedBlob {
  const b = archive.get(blobPath(digest));
  if (!b) throw new RrError(`invalid archive: blob ${digest} (${what}) is missing`);
  // Staging verified files named blobs/sha256/<hex>; a link to another name is checked here.
  if (b.digest !== digest) throw new RrError(`invalid archive: blob ${digest} (${what}) has digest ${b.digest}`);
  return b;
}
