/**
 * `FROM scratch`: an image with no layers and an empty config, stored like
 * any other (its id is its config's digest, so every build shares one).
 */
import type { CliContext } from "../context.ts";
import type { Identity } from "../../runtime/identity.ts";
import type { Store } from "../../store/store.ts";
import type { ImageRecord } from "../../store/image-store.ts";
import { hostPlatform, MediaType, type ImageConfig, type ImageManifest } from "../../image/image-config.ts";
import { sha256Digest } from "../../store/blob-store.ts";

export async function scratchImage(_ctx: CliContext, store: Store, _identity: Identity): Promise<ImageRecord> {
  const platform = hostPlatform();
  const config = {
    architecture: platform.architecture, os: platform.os, config: {},
    rootfs: { type: "layers", diff_ids: [] }, history: [],
  } as unknown as ImageConfig;
  const configBytes = Buffer.from(JSON.stringify(config));
  const manifest: ImageManifest = {
    schemaVersion: 2, mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: sha256Digest(configBytes), size: configBytes.length },
    layers: [],
  };
  return store.images.find(sha256Digest(configBytes)) ?? store.images.addImage({ manifest, config: configBytes, names: [] }).image;
}
