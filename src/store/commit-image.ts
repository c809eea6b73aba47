/**
 * `rr commit`'s image: the container's image with one more layer (the
 * container's changes, stored uncompressed so the blob digest is also the
 * diff_id) and a new config and history entry, as Docker's NewChildImage
 * makes it. A commit without changes adds no layer, only an `empty_layer`
 * history entry. The manifest keeps the base's format (Docker v2 or OCI).
 */
import { RrError } from "../errors.ts";
import {
  MediaType, parseManifest, type ContainerConfig, type Descriptor, type HistoryEntry, type ImageConfig, type ImageManifest,
} from "../image/image-config.ts";
import { sha256Digest, type StagedBlob } from "./blob-store.ts";
import type { ImageRecord } from "./image-store.ts";
import type { Store } from "./store.ts";

/** The digest of a tar with no entries: Docker's sign of an empty layer. */
export const EMPTY_TAR_DIGEST = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";

export interface CommitInput {
  base: ImageRecord;
  config: ContainerConfig;
  /** The verified, uncompressed layer; undefined when the container changed nothing. */
  layer?: StagedBlob;
  createdBy: string;
  author?: string;
  comment?: string;
  names: string[];
  now?: Date;
}

export function commitImage(store: Pick<Store, "blobs" | "images">, input: CommitInput): ImageRecord {
  const { base } = input;
  const baseManifest = parseManifest(store.blobs.readBytes(base.manifestDigest), `manifest ${base.manifestDigest}`);
  const docker = baseManifest.mediaType === MediaType.dockerManifest;
  const created = (input.now ?? new Date()).toISOString();
  const history: HistoryEntry[] = base.config.history?.length
    ? [...base.config.history]
    : base.layers.map(() => ({ created: base.created }));
  history.push({
    created,
    created_by: input.createdBy,
    ...(input.author ? { author: input.author } : {}),
    ...(input.comment ? { comment: input.comment } : {}),
    ...(input.layer ? {} : { empty_layer: true }),
  });
  // Platform fields carry over; what described the base's own build (Docker's legacy container fields included) does not.
  const platform: Record<string, unknown> = { ...base.config };
  for (const k of ["history", "rootfs", "config", "created", "author", "comment", "container", "container_config", "docker_version", "id", "parent"]) {
    delete platform[k];
  }
  const config = {
    ...platform,
    created,
    ...(input.author ? { author: input.author } : {}),
    ...(input.comment ? { comment: input.comment } : {}),
    config: input.config,
    rootfs: { type: "layers", diff_ids: [...base.config.rootfs.diff_ids, ...(input.layer ? [input.layer.digest] : [])] },
    history,
  } as ImageConfig;
  const configBytes = Buffer.from(JSON.stringify(config));
  const layers: Descriptor[] = baseManifest.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size, ...(l.urls ? { urls: l.urls } : {}) }));
  if (input.layer) {
    layers.push({ mediaType: docker ? MediaType.dockerLayer : MediaType.ociLayer, digest: input.layer.digest, size: input.layer.size });
  }
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: docker ? MediaType.dockerManifest : MediaType.ociManifest,
    config: { mediaType: docker ? MediaType.dockerConfig : MediaType.ociConfig, digest: sha256Digest(configBytes), size: configBytes.length },
    layers,
  };
  for (const l of baseManifest.layers) {
    if (!store.blobs.has(l.digest)) {
      throw new RrError(`layer ${l.digest} of image ${base.id} is missing from the store`, { hint: "Pull or load the container's image again, then commit." });
    }
  }
  return store.images.addImage({ manifest, config: configBytes, names: input.names, staged: input.layer ? [input.layer] : [] }).image;
}
