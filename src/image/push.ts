/**
 * Pushes a stored image to a registry the way `docker push` does: for each
 * layer and the config, a HEAD first (the registry may have it already),
 * then a cross-repository mount from a repository of the same registry the
 * image is known there under, and only then an upload. The stored manifest
 * bytes go up unchanged, so the registry's digest is the store's.
 */
import { RrError } from "../errors.ts";
import type { BlobStore } from "../store/blob-store.ts";
import type { ImageRecord } from "../store/image-store.ts";
import { MediaType, parseManifest, type Descriptor } from "./image-config.ts";
import { parseReference, type Reference } from "./reference.ts";

/** What push needs of a registry client (src/image/registry/client.ts provides it). */
export interface BlobPusher {
  headBlob(ref: Reference, digest: string): Promise<boolean>;
  /** True when the registry mounted the blob; false when it will not (the caller uploads). */
  mountBlob(ref: Reference, digest: string, fromRepository: string): Promise<boolean>;
  uploadBlob(ref: Reference, digest: string, size: number, source: AsyncIterable<Uint8Array>, opts?: { chunkSize?: number }): Promise<void>;
  /** Returns the digest the registry computed. */
  putManifest(ref: Reference, bytes: Uint8Array, mediaType: string): Promise<string>;
}

export type BlobOutcome = { status: "exists" } | { status: "mounted"; from: string } | { status: "pushed" };

export interface PushEvent {
  /** The layer's diffId (what `docker push` shows), or the config's digest. */
  id: string;
  kind: "layer" | "config";
  outcome: BlobOutcome;
}

export interface PushOptions {
  /** Upload in PATCH chunks of this many bytes instead of one monolithic PUT. */
  chunkSize?: number;
  onBlob?: (event: PushEvent) => void;
}

export interface PushResult {
  digest: string;
  size: number;
}

export async function pushImage(
  client: BlobPusher, blobs: BlobStore, image: ImageRecord, dest: Reference, opts: PushOptions = {},
): Promise<PushResult> {
  const bytes = blobs.readBytes(image.manifestDigest);
  const manifest = parseManifest(bytes, `manifest ${image.manifestDigest}`);
  const sources = mountSources(image, dest);
  const blobList: { desc: Descriptor; id: string; kind: PushEvent["kind"] }[] = [
    ...manifest.layers.map((desc, i) => ({ desc, id: image.layers[i]?.diffId ?? desc.digest, kind: "layer" as const })),
    { desc: manifest.config, id: manifest.config.digest, kind: "config" as const },
  ];
  const done = new Set<string>();
  for (const { desc, id, kind } of blobList) {
    if (done.has(desc.digest)) continue; // the same layer twice in one image goes up once
    done.add(desc.digest);
    const outcome = await pushBlob(client, blobs, dest, desc, sources, opts.chunkSize);
    opts.onBlob?.({ id, kind, outcome });
  }
  const mediaType = manifest.mediaType ?? MediaType.ociManifest;
  const digest = await client.putManifest(dest, bytes, mediaType);
  if (digest && digest !== image.manifestDigest) {
    throw new RrError(`the registry stored the manifest of ${dest.toString()} as ${digest}, not ${image.manifestDigest}`);
  }
  return { digest: image.manifestDigest, size: bytes.length };
}

async function pushBlob(
  client: BlobPusher, blobs: BlobStore, dest: Reference, desc: Descriptor, sources: string[], chunkSize?: number,
): Promise<BlobOutcome> {
  if (await client.headBlob(dest, desc.digest)) return { status: "exists" };
  for (const from of sources) {
    if (await client.mountBlob(dest, desc.digest, from)) return { status: "mounted", from };
  }
  if (!blobs.has(desc.digest)) {
    throw new RrError(`blob ${desc.digest} is missing from the store`, { hint: "The store is damaged; remove the image and load or pull it again." });
  }
  // read() verifies digest and size at EOF, so a damaged blob fails the upload instead of landing.
  await client.uploadBlob(dest, desc.digest, desc.size, blobs.read(desc.digest, desc.size), chunkSize ? { chunkSize } : undefined);
  return { status: "pushed" };
}

/**
 * Other repositories of the destination's registry the image is named in:
 * the registry probably holds its blobs there, and a mount copies nothing.
 */
export function mountSources(image: ImageRecord, dest: Reference): string[] {
  const repos = new Set<string>();
  for (const name of image.names) {
    let ref: Reference;
    try { ref = parseReference(name); } catch { continue; }
    if (ref.registry === dest.registry && ref.repository !== dest.repository) repos.add(ref.repository);
  }
  return [...repos];
}
