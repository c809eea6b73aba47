/**
 * Layer decompression by magic bytes, streaming through node:zlib (Bun has
 * gzip and zstd built in, so the compiled binary needs nothing beside it).
 * Media types lie often enough (docker-archive layers are named layer.tar
 * whatever they hold) that the bytes decide.
 */
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import { createGunzip, createZstdDecompress } from "node:zlib";
import { NotFoundError, RrError } from "../errors.ts";

export type Compression = "gzip" | "zstd" | "none";

/** Bytes needed to tell every format below apart. */
const MAGIC_LEN = 6;

const startsWith = (b: Uint8Array, magic: number[]) => magic.every((m, i) => b[i] === m);

/** Decides from the first bytes; bzip2 and xz are recognised only to refuse them clearly. */
export function detectCompression(first: Uint8Array, label = "layer"): Compression {
  if (startsWith(first, [0x1f, 0x8b])) return "gzip";
  if (startsWith(first, [0x28, 0xb5, 0x2f, 0xfd])) return "zstd";
  if (startsWith(first, [0x42, 0x5a, 0x68])) throw unsupported(label, "bzip2");
  if (startsWith(first, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) throw unsupported(label, "xz");
  return "none";
}

function unsupported(label: string, format: string): RrError {
  return new RrError(`${label} is ${format}-compressed, which rr does not support`, {
    code: "UNSUPPORTED_COMPRESSION",
    hint: "rr reads uncompressed, gzip and zstd layers; recompress the image with gzip or zstd",
  });
}

/**
 * The decompressed bytes of `source`, format detected from its first bytes.
 * `label` names the data in errors (`layer sha256:…`).
 */
export async function* decompress(source: AsyncIterable<Uint8Array>, label = "layer"): AsyncGenerator<Uint8Array> {
  const it = source[Symbol.asyncIterator]();
  // Peek at enough bytes to decide; the peeked chunks are replayed below.
  const head: Uint8Array[] = [];
  let seen = 0;
  let ended = false;
  while (seen < MAGIC_LEN) {
    const r = await it.next();
    if (r.done) { ended = true; break; }
    head.push(r.value);
    seen += r.value.length;
  }
  const first = head.length === 1 ? head[0]! : Buffer.concat(head);
  const kind = detectCompression(first, label);

  async function* replay(): AsyncGenerator<Uint8Array> {
    yield* head;
    if (ended) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  if (kind === "none") {
    try {
      yield* replay();
    } finally {
      await it.return?.();
    }
    return;
  }

  let sourceError: unknown;
  const input = Readable.from(
    (async function* () {
      try {
        if (kind === "gzip") {
          yield* replay();
          return;
        }
        // Bun's zstd decoder ends quietly on a cut-off stream, so the frame
        // structure is followed here to notice one.
        const frames = new ZstdFrameTracker(label);
        for await (const chunk of replay()) {
          frames.feed(chunk);
          yield chunk;
        }
        frames.end();
      } catch (err) {
        sourceError = err; // remembered so a read error is not reported as corrupt data
        throw err;
      }
    })(),
    { objectMode: false },
  );
  // 256 KiB output chunks instead of the 16 KiB default: measured 4× faster for a 100 MB zstd layer.
  const z = kind === "gzip" ? createGunzip({ chunkSize: 1 << 18 }) : createZstdDecompress({ chunkSize: 1 << 18 });
  input.on("error", (err) => z.destroy(err));
  input.pipe(z);
  try {
    for await (const chunk of z) yield chunk as Uint8Array;
  } catch (err) {
    if (sourceError !== undefined) throw sourceError;
    const why = err instanceof Error ? err.message : String(err);
    throw new RrError(`${label} is not valid ${kind}: ${why}`, { code: "BAD_COMPRESSION", cause: err });
  } finally {
    input.destroy();
    z.destroy();
    await it.return?.();
  }
}

/** A file's bytes in large chunks, each a fresh buffer (readers may keep views into them). */
export async function* readFileStream(path: string): AsyncGenerator<Uint8Array> {
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  try {
    for await (const chunk of stream) yield chunk as Uint8Array;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new NotFoundError(`${path}: no such file`, { cause: err });
    throw new RrError(`reading ${path}: ${(err as Error).message}`, { cause: err });
  } finally {
    stream.destroy();
  }
}

/**
 * Follows zstd frame boundaries (RFC 8878 §3.1) without decompressing, to
 * tell a complete stream from a truncated one: block headers carry their
 * sizes, so only headers are looked at and block contents are counted past.
 */
class ZstdFrameTracker {
  private state: "magic" | "fhd" | "frameHeader" | "blockHeader" | "blockBody" | "checksum" | "skipSize" | "skipBody" = "magic";
  /** Bytes still to collect (into `field`) or to skip in the current state. */
  private need = 4;
  private field: number[] = [];
  private checksum = false;
  private lastBlock = false;
  constructor(private readonly label: string) {}

  feed(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === "blockBody" || this.state === "skipBody") {
        const take = Math.min(this.need, chunk.length - i);
        i += take;
        this.need -= take;
        if (this.need === 0) this.afterBody();
        continue;
      }
      this.field.push(chunk[i++]!);
      if (this.field.length === this.need) {
        const f = this.field;
        this.field = [];
        this.afterField(f);
      }
    }
  }

  end(): void {
    if (this.state !== "magic" || this.field.length !== 0) {
      throw new RrError(`${this.label} is not valid zstd: unexpected end of stream (truncated)`, { code: "BAD_COMPRESSION" });
    }
  }

  private afterField(f: number[]): void {
    const le = (bytes: number[]) => bytes.reduceRight((v, b) => v * 256 + b, 0);
    switch (this.state) {
      case "magic": {
        const magic = le(f);
        if (magic === 0xfd2fb528) return this.set("fhd", 1);
        if (magic >>> 4 === 0x184d2a5) return this.set("skipSize", 4);
        throw this.invalid("bad frame magic");
      }
      case "fhd": {
        const fhd = f[0]!;
        const fcsFlag = fhd >> 6, singleSegment = (fhd >> 5) & 1, didFlag = fhd & 3;
        if (fhd & 0x08) throw this.invalid("reserved frame header bit set");
        this.checksum = ((fhd >> 2) & 1) === 1;
        const rest = (singleSegment ? 0 : 1) + [0, 1, 2, 4][didFlag]! + [singleSegment, 2, 4, 8][fcsFlag]!;
        return rest ? this.set("frameHeader", rest) : this.set("blockHeader", 3);
      }
      case "frameHeader":
        return this.set("blockHeader", 3);
      case "blockHeader": {
        const h = le(f);
        this.lastBlock = (h & 1) === 1;
        const type = (h >> 1) & 3;
        if (type === 3) throw this.invalid("reserved block type");
        const size = type === 1 ? 1 : h >>> 3;
        if (size === 0) return this.afterBody();
        return this.set("blockBody", size);
      }
      case "checksum":
        return this.set("magic", 4);
      case "skipSize": {
        const size = le(f);
        return size ? this.set("skipBody", size) : this.set("magic", 4);
      }
    }
  }

  private afterBody(): void {
    if (this.state === "skipBody") return this.set("magic", 4);
    if (!this.lastBlock) return this.set("blockHeader", 3);
    return this.checksum ? this.set("checksum", 4) : this.set("magic", 4);
  }

  private set(state: ZstdFrameTracker["state"], need: number): void {
    this.state = state;
    this.need = need;
  }

  private invalid(why: string): RrError {
    return new RrError(`${this.label} is not valid zstd: ${why}`, { code: "BAD_COMPRESSION" });
  }
}
