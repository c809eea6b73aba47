/**
 * Reads an image archive (docker save or OCI) in one pass: every regular
 * file is written to a staging directory while being hashed; files named
 * `blobs/<alg>/<hex>` must match their name. Nothing reaches the store here:
 * the caller commits the blobs it decides to keep, under the store lock.
 * Archive paths never become filesystem paths: staged files get counter names.
 */
import { readFileSync } from "node:fs";
import { posix } from "node:path";
import { RrError } from "../errors.ts";
import type { BlobStore, StagedBlob } from "../store/blob-store.ts";
import { isValidDigest } from "./reference.ts";
import { readTar } from "./tar-reader.ts";

/** Largest JSON document (manifest.json, index.json, configs) read into memory. */
const MAX_JSON = 32 << 20;

export class StagedArchive {
  readonly files = new Map<string, StagedBlob>();
  readonly links = new Map<string, { type: "symlink" | "hardlink"; target: string }>();

  has(path: string): boolean {
    return this.get(path) !== undefined;
  }

  /** The staged file at an archive path, following the archive's own links. */
  get(path: string): StagedBlob | undefined {
    let p: string | undefined = normalizeArchivePath(path);
    for (let hops = 0; p !== undefined && hops < 16; hops++) {
      const f = this.files.get(p);
      if (f) return f;
      const link = this.links.get(p);
      if (!link) return undefined;
      // docker save links duplicate layers as `../<id>/layer.tar`.
      p = normalizeArchivePath(link.type === "symlink" ? posix.join(posix.dirname(p), link.target) : link.target);
    }
    return undefined;
  }

  /** Reads and parses a JSON file of the archive. */
  readJson(path: string): unknown {
    const f = this.get(path);
    if (!f) throw new RrError(`invalid archive: "${path}" is missing`);
    if (f.size > MAX_JSON) throw new RrError(`invalid archive: "${path}" is too large (${f.size} bytes)`);
    try {
      return JSON.parse(readFileSync(f.path, "utf8"));
    } catch (err) {
      throw new RrError(`invalid archive: "${path}" is not valid JSON`, { cause: err });
    }
  }

  /** Raw bytes of a (small) file of the archive. */
  readBytes(path: string): Buffer {
    const f = this.get(path);
    if (!f) throw new RrError(`invalid archive: "${path}" is missing`);
    if (f.size > MAX_JSON) throw new RrError(`invalid archive: "${path}" is too large (${f.size} bytes)`);
    return readFileSync(f.path);
  }
}

/**
 * `./a//b/` → `a/b`. Names are resolved as if the archive were a root
 * (`../x` is `x`): they only key a map, never a host path.
 */
export function normalizeArchivePath(path: string): string | undefined {
  const n = posix.normalize("/" + path).slice(1).replace(/\/$/, "");
  return n === "" ? undefined : n;
}

/**
 * Streams a tar (already decompressed) into `dir`. A blob whose bytes do
 * not match its `blobs/sha256/<hex>` name fails the whole load.
 */
export async function stageArchive(source: AsyncIterable<Uint8Array>, blobs: BlobStore, dir: string): Promise<StagedArchive> {
  const archive = new StagedArchive();
  let count = 0;
  for await (const { entry, body } of readTar(source)) {
    const path = normalizeArchivePath(entry.path);
    if (path === undefined) continue;
    if (entry.type === "symlink" || entry.type === "hardlink") {
      archive.links.set(path, { type: entry.type, target: entry.linkname });
      continue;
    }
    if (entry.type !== "file") continue;
    const m = /^blobs\/([a-z0-9]+)\/([0-9a-f]+)$/.exec(path);
    const named = m && isValidDigest(`${m[1]}:${m[2]}`) ? `${m[1]}:${m[2]}` : undefined;
    if (m && named?.startsWith("sha512:")) {
      throw new RrError(`archive blob "${path}" uses sha512, which rr's store does not support yet`);
    }
    const staged = await blobs.stage(body, {
      dir,
      expected: named ? { digest: named, size: entry.size } : undefined,
      what: `archive file "${path}"`,
    });
    archive.files.set(path, staged);
    count++;
  }
  if (count === 0) throw new RrError("invalid archive: it contains no files");
  return archive;
}
