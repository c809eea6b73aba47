/**
 * Writes what `docker save` writes (the classic layout `docker load`,
 * skopeo's `docker-archive:` and `rr load` read): `manifest.json` with
 * Config/RepoTags/Layers per image, `<config hex>.json`, `<diffid hex>/layer.tar`
 * holding each layer uncompressed, and the legacy `repositories` file.
 *
 * Everything streams: compressed layers are decompressed on the way out.
 * A tar header needs the size first, so a compressed layer is read twice:
 * once to count (and verify against its diff_id), once to write.
 */
import { createHash } from "node:crypto";
import { DigestMismatchError } from "../errors.ts";
import type { BlobStore } from "../store/blob-store.ts";
import type { ImageRecord, LayerRecord } from "../store/image-store.ts";
import { decompress } from "./decompress.ts";
import { familiarize, parseReference } from "./reference.ts";
import { TarWriter } from "./tar-writer.ts";

/** One image to save and the names (full references) to save it under. */
export interface SaveItem {
  image: ImageRecord;
  names: string[];
}

export async function writeDockerArchive(items: SaveItem[], blobs: BlobStore, sink: (chunk: Uint8Array) => void): Promise<void> {
  const tar = new TarWriter(sink);
  const written = new Set<string>();
  const manifest: { Config: string; RepoTags: string[] | null; Layers: string[] }[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  for (const { image, names } of items) {
    const mtime = mtimeOf(image.created);
    const layerFiles: string[] = [];
    for (const layer of image.layers) {
      const dir = hexOf(layer.diffId);
      layerFiles.push(`${dir}/layer.tar`);
      if (written.has(dir)) continue; // a layer shared by two saved images is written once
      written.add(dir);
      tar.addDir(`${dir}/`, { mtime });
      tar.addFile(`${dir}/VERSION`, "1.0", { mtime });
      const size = await uncompressedSize(blobs, layer);
      await tar.addFileStream(`${dir}/layer.tar`, size, layerStream(blobs, layer), { mtime });
    }
    const configFile = `${hexOf(image.id)}.json`;
    if (!written.has(configFile)) {
      written.add(configFile);
      tar.addFile(configFile, blobs.readBytes(image.id), { mtime });
    }
    manifest.push({ Config: configFile, RepoTags: names.length ? names.map(familiarize) : null, Layers: layerFiles });
    const top = layerFiles.length ? hexOf(image.layers.at(-1)!.diffId) : "";
    for (const n of names) {
      const ref = parseReference(n);
      (repositories[ref.familiarName()] ??= {})[ref.tag ?? "latest"] = top;
    }
  }
  tar.addFile("manifest.json", JSON.stringify(manifest) + "\n");
  if (Object.keys(repositories).length) tar.addFile("repositories", JSON.stringify(repositories) + "\n");
  tar.finish();
}

/** The layer's uncompressed tar bytes; digest and size of the blob are verified at EOF. */
function layerStream(blobs: BlobStore, layer: LayerRecord): AsyncIterable<Uint8Array> {
  const raw = blobs.read(layer.blobDigest, layer.size);
  return layer.blobDigest === layer.diffId ? raw : decompress(raw, `layer ${layer.diffId}`);
}

/**
 * Size of the uncompressed layer. An uncompressed blob is its own diff_id;
 * a compressed one is decompressed once to count, and checked against the
 * diff_id here, before a single byte of it reaches the archive.
 */
async function uncompressedSize(blobs: BlobStore, layer: LayerRecord): Promise<number> {
  if (layer.blobDigest === layer.diffId) return layer.size;
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of layerStream(blobs, layer)) {
    hash.update(chunk);
    size += chunk.length;
  }
  const actual = `sha256:${hash.digest("hex")}`;
  if (actual !== layer.diffId) throw new DigestMismatchError(layer.diffId, actual, `stored layer ${layer.blobDigest}`);
  return size;
}

function hexOf(digest: string): string {
  return digest.slice(digest.indexOf(":") + 1);
}

/** Entries carry the image's creation time, as Docker's do; 0 when unknown. */
export function mtimeOf(created: string | undefined): number {
  const t = Date.parse(created ?? "");
  return Number.isFinite(t) && t > 0 ? Math.floor(t / 1000) : 0;
}
