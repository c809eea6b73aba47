/**
 * Content-addressed blobs under `$ROOT/blobs/sha256/<hex>`. A blob enters
 * the store only after its bytes were hashed, fsynced and found to match:
 * it is written under `$ROOT/tmp` and renamed into place (DESIGN invariant 5).
 * Reads verify digest and size at EOF.
 */
import { createHash } from "node:crypto";
import {
  closeSync, existsSync, fsyncSync, openSync, readdirSync, readFileSync, readSync, renameSync, statSync, unlinkSync, writeSync,
} from "node:fs";
import { join } from "node:path";
import { DigestMismatchError, RrError } from "../errors.ts";
import { validateDigest } from "../image/reference.ts";
import { storeLayout } from "./paths.ts";

/** A verified blob written to a temporary path, not yet in the store. */
export interface StagedBlob {
  path: string;
  digest: string;
  size: number;
}

export type BlobSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

let counter = 0;

export class BlobStore {
  readonly dir: string;
  readonly tmp: string;

  constructor(readonly root: string) {
    const layout = storeLayout(root);
    this.dir = layout.blobs;
    this.tmp = layout.tmp;
  }

  /** The file of a blob. The digest is validated before any path is built. */
  path(digest: string): string {
    const { algorithm, hex } = validateDigest(digest, "blob digest");
    if (algorithm !== "sha256") throw new RrError(`unsupported digest algorithm "${algorithm}" for blob "${digest}"`);
    return join(this.dir, hex);
  }

  has(digest: string): boolean {
    return existsSync(this.path(digest));
  }

  /** Size of a stored blob, or undefined when it is absent. */
  size(digest: string): number | undefined {
    try { return statSync(this.path(digest)).size; } catch { return undefined; }
  }

  /**
   * Writes a stream to a temporary file in `dir` (default `$ROOT/tmp`),
   * hashing as it goes. With `expected`, a mismatch removes the file and
   * throws DigestMismatchError; a stream longer than the expected size stops early.
   * `onOpen` learns the file's path before the first byte is written.
   */
  async stage(
    source: BlobSource,
    opts: { dir?: string; expected?: { digest?: string; size?: number }; what?: string; onOpen?(path: string): void } = {},
  ): Promise<StagedBlob> {
    const expectedDigest = opts.expected?.digest;
    if (expectedDigest !== undefined) validateDigest(expectedDigest, "blob digest");
    const path = join(opts.dir ?? this.tmp, `blob-${process.pid}-${++counter}-${Math.random().toString(36).slice(2, 8)}`);
    const what = opts.what ?? `blob ${expectedDigest ?? ""}`.trim();
    const fd = openSync(path, "wx", 0o644);
    const hash = createHash("sha256");
    let size = 0;
    let ok = false;
    try {
      opts.onOpen?.(path); // e.g. to unpack the blob while it is written
      for await (const chunk of source) {
        size += chunk.length;
        if (opts.expected?.size !== undefined && size > opts.expected.size) {
          throw new RrError(`${what}: more data than the ${opts.expected.size} bytes expected`, { code: "DIGEST_MISMATCH" });
        }
        hash.update(chunk);
        let off = 0;
        while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
      }
      fsyncSync(fd);
      const digest = `sha256:${hash.digest("hex")}`;
      if (expectedDigest !== undefined && digest !== expectedDigest) throw new DigestMismatchError(expectedDigest, digest, what);
      if (opts.expected?.size !== undefined && size !== opts.expected.size) {
        throw new RrError(`${what}: size mismatch: expected ${opts.expected.size} bytes, got ${size}`, { code: "DIGEST_MISMATCH" });
      }
      ok = true;
      return { path, digest, size };
    } finally {
      closeSync(fd);
      if (!ok) try { unlinkSync(path); } catch {}
    }
  }

  /** Moves a staged blob into the store; a blob already there wins. Returns its path. */
  commit(staged: StagedBlob): string {
    const dest = this.path(staged.digest);
    if (existsSync(dest)) {
      try { unlinkSync(staged.path); } catch {}
      return dest;
    }
    renameSync(staged.path, dest);
    fsyncDir(this.dir);
    return dest;
  }

  /** Discards a staged blob that will not be committed. */
  discard(staged: StagedBlob): void {
    try { unlinkSync(staged.path); } catch {}
  }

  async put(source: BlobSource, expected?: { digest?: string; size?: number }): Promise<{ digest: string; size: number }> {
    if (expected?.digest && expected.size !== undefined && this.size(expected.digest) === expected.size) {
      // Already there; drain nothing, the caller's stream stays unread.
      return { digest: expected.digest, size: expected.size };
    }
    const staged = await this.stage(source, { expected });
    this.commit(staged);
    return { digest: staged.digest, size: staged.size };
  }

  /** Stores small bytes (manifests, configs) synchronously; idempotent. */
  putBytes(bytes: Uint8Array, expectedDigest?: string): { digest: string; size: number } {
    const digest = sha256Digest(bytes);
    if (expectedDigest !== undefined && digest !== expectedDigest) throw new DigestMismatchError(expectedDigest, digest, "blob");
    const dest = this.path(digest);
    if (!existsSync(dest)) {
      const tmp = join(this.tmp, `blob-${process.pid}-${++counter}`);
      const fd = openSync(tmp, "wx", 0o644);
      try {
        let off = 0;
        while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
        fsyncSync(fd);
      } catch (err) {
        closeSync(fd);
        try { unlinkSync(tmp); } catch {}
        throw err;
      }
      closeSync(fd);
      renameSync(tmp, dest);
      fsyncDir(this.dir);
    }
    return { digest, size: bytes.length };
  }

  /** Reads a whole (small) blob and checks it against its digest. */
  readBytes(digest: string, maxSize = 64 << 20): Buffer {
    const path = this.path(digest);
    let size: number;
    try { size = statSync(path).size; } catch (err) {
      throw new RrError(`blob ${digest} is missing from the store`, { cause: err, hint: "The store is damaged; remove the image and load it again." });
    }
    if (size > maxSize) throw new RrError(`blob ${digest} is too large to read into memory (${size} bytes)`);
    const bytes = readFileSync(path);
    const actual = sha256Digest(bytes);
    if (actual !== digest) throw new DigestMismatchError(digest, actual, `stored blob ${digest}`);
    return bytes;
  }

  /** Streams a blob, verifying digest and size when the stream ends. */
  async *read(digest: string, expectedSize?: number): AsyncGenerator<Uint8Array> {
    const fd = openSync(this.path(digest), "r");
    const hash = createHash("sha256");
    let size = 0;
    try {
      const buf = Buffer.allocUnsafe(1 << 20);
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, null);
        if (n === 0) break;
        const chunk = Buffer.from(buf.subarray(0, n));
        hash.update(chunk);
        size += n;
        yield chunk;
      }
    } finally {
      closeSync(fd);
    }
    const actual = `sha256:${hash.digest("hex")}`;
    if (actual !== digest) throw new DigestMismatchError(digest, actual, `stored blob ${digest}`);
    if (expectedSize !== undefined && size !== expectedSize) {
      throw new RrError(`stored blob ${digest}: size mismatch: expected ${expectedSize} bytes, got ${size}`, { code: "DIGEST_MISMATCH" });
    }
  }

  delete(digest: string): void {
    try { unlinkSync(this.path(digest)); } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
  }

  /** Digests of every stored blob (names that are not digests are skipped). */
  list(): string[] {
    let names: string[];
    try { names = readdirSync(this.dir); } catch { return []; }
    return names.filter((n) => /^[0-9a-f]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }
}

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** Makes a rename durable; best effort where directories cannot be fsynced. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
