/**
 * `rr load`: an image archive (docker save or OCI, maybe gzip/zstd
 * compressed) into the store. Everything is staged and verified in a
 * private `$ROOT/tmp/load-<pid>-…` directory first; only then are blobs
 * committed and names added, under the store lock. A bad archive leaves the
 * store as it was and no temporary files behind.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { RrError } from "../errors.ts";
import { stageArchive } from "../image/archive-staging.ts";
import { decompress } from "../image/decompress.ts";
import { isDockerArchive, readDockerArchive, type ArchiveImage } from "../image/docker-archive.ts";
import { isOciArchive, readOciArchive } from "../image/oci-archive.ts";
import type { ImageRecord } from "./image-store.ts";
import type { Store } from "./store.ts";

export interface LoadedImage {
  image: ImageRecord;
  /** Names this archive gave the image (full references). */
  names: string[];
  /** Names that another image held before; that image lost them. */
  displaced: { name: string; id: string }[];
}

export async function loadArchive(store: Pick<Store, "root" | "layout" | "blobs" | "images">, source: AsyncIterable<Uint8Array>): Promise<LoadedImage[]> {
  const dir = join(store.layout.tmp, `load-${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    let found: ArchiveImage[];
    try {
      const archive = await stageArchive(decompress(source, "archive"), store.blobs, dir);
      if (isDockerArchive(archive)) found = await readDockerArchive(archive);
      else if (isOciArchive(archive)) found = readOciArchive(archive);
      else {
        throw new RrError("not an image archive: it has neither manifest.json (docker save) nor index.json (OCI layout)", {
          hint: "rr load reads the output of 'docker save' and OCI archives; for a root filesystem tarball use 'rr import'.",
        });
      }
    } catch (err) {
      if (err instanceof RrError) throw err;
      throw new RrError("reading the archive", { cause: err });
    }
    return found.map((f) => {
      const { image, displaced } = store.images.addImage({ manifest: f.manifest, config: f.config, names: f.names, staged: f.blobs });
      return { image, names: f.names, displaced };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
