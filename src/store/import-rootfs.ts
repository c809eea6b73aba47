/**
 * `rr import`: a root filesystem tarball (plain, gzip or zstd) becomes a
 * one-layer image. The layer is stored uncompressed, so its blob digest is
 * also its diffId. The tar is read through once more before it is kept, so
 * a truncated or non-tar file is refused instead of failing at `rr run`.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { RrError } from "../errors.ts";
import { decompress, readFileStream } from "../image/decompress.ts";
import { hostPlatform, MediaType, type ImageConfig, type ImageManifest } from "../image/image-config.ts";
import { readTar } from "../image/tar-reader.ts";
import { sha256Digest } from "./blob-store.ts";
import type { ImageRecord } from "./image-store.ts";
import type { Store } from "./store.ts";

export interface ImportOptions {
  /** Full or short references to give the image; may be empty. */
  names: string[];
  /** History comment; Docker's default is `Imported from <source>`. */
  message?: string;
  /** What the user passed (`-`, a path), for the default message. */
  sourceLabel: string;
  /** Clock for tests. */
  now?: Date;
}

export async function importRootfs(
  store: Pick<Store, "layout" | "blobs" | "images">, source: AsyncIterable<Uint8Array>, opts: ImportOptions,
): Promise<ImageRecord> {
  const dir = join(store.layout.tmp, `import-${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    const layer = await store.blobs.stage(decompress(source, "rootfs tarball"), { dir, what: "rootfs tarball" });
    await checkTar(layer.path);
    const created = (opts.now ?? new Date()).toISOString();
    const comment = opts.message || `Imported from ${opts.sourceLabel}`;
    const { os, architecture, variant } = hostPlatform();
    const config: ImageConfig = {
      architecture, os, ...(variant ? { variant } : {}),
      created, comment, config: {},
      rootfs: { type: "layers", diff_ids: [layer.digest] },
      history: [{ created, comment }],
    };
    const configBytes = Buffer.from(JSON.stringify(config));
    const configDigest = sha256Digest(configBytes);
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: configDigest, size: configBytes.length },
      layers: [{ mediaType: MediaType.ociLayer, digest: layer.digest, size: layer.size }],
    };
    return store.images.addImage({ manifest, config: configBytes, names: opts.names, staged: [layer] }).image;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function checkTar(path: string): Promise<void> {
  let entries = 0;
  try {
    for await (const { body } of readTar(readFileStream(path))) {
      for await (const _ of body); // truncation inside a body shows only when it is read
      entries++;
    }
  } catch (err) {
    throw new RrError("the rootfs tarball is not a valid tar archive", { cause: err });
  }
  if (entries === 0) throw new RrError("the rootfs tarball is empty (no entries)");
}
