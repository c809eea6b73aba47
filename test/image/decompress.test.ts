import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { constants, gzipSync, zstdCompressSync } from "node:zlib";
import { NotFoundError, RrError } from "../../src/errors.ts";
import { decompress, detectCompression, readFileStream } from "../../src/image/decompress.ts";
import { tarBytes } from "../../src/image/tar-writer.ts";
import { sha256 } from "../fixtures/images.ts";
import { chunked, readAll, text } from "./tar-helpers.ts";

/** Incompressible-ish data so compressed streams have many blocks. */
function noise(n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = 12345;
  for (let i = 0; i < n; i++) out[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  return out;
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of source) parts.push(c);
  return new Uint8Array(Buffer.concat(parts));
}

const tar = tarBytes([
  { type: "file", path: "random", data: noise(300_000) },
  { type: "file", path: "hello", data: "hello\n" },
]);

describe("detectCompression()", () => {
  test("recognises gzip, zstd and plain tar by their first bytes", () => {
    expect(detectCompression(gzipSync(tar))).toBe("gzip");
    expect(detectCompression(zstdCompressSync(tar))).toBe("zstd");
    expect(detectCompression(tar)).toBe("none");
  });

  test("refuses bzip2 and xz with a message that says which", () => {
    expect(() => detectCompression(new TextEncoder().encode("BZh91AY&SY"), "layer sha256:ab")).toThrow(
      "layer sha256:ab is bzip2-compressed, which rr does not support",
    );
    expect(() => detectCompression(new Uint8Array([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00]))).toThrow(/is xz-compressed/);
  });
});

describe("decompress()", () => {
  for (const [name, compress] of [
    ["a gzip", (b: Uint8Array) => gzipSync(b)],
    ["a zstd", (b: Uint8Array) => zstdCompressSync(b)],
    ["a checksummed zstd", (b: Uint8Array) => zstdCompressSync(b, { params: { [constants.ZSTD_c_checksumFlag]: 1 } })],
    ["an uncompressed", (b: Uint8Array) => b],
  ] as const) {
    test(`restores ${name} tar fed in small chunks`, async () => {
      const out = await collect(decompress(chunked(compress(tar), 1000)));
      expect(sha256(out)).toBe(sha256(tar));
    });
  }

  test("feeds the tar reader directly", async () => {
    const entries = await readAll(decompress(chunked(gzipSync(tar), 4096)));
    expect(entries.map((e) => e.path)).toEqual(["random", "hello"]);
    expect(text(entries[1]!.data)).toBe("hello\n");
  });

  test("detects the format even when the first chunk is a single byte", async () => {
    const z = zstdCompressSync(tar);
    const dribble = (async function* () {
      yield z.subarray(0, 1);
      yield z.subarray(1, 3);
      yield z.subarray(3);
    })();
    const out = await collect(decompress(dribble));
    expect(out.length).toBe(tar.length);
  });

  test("reads concatenated zstd frames and skippable frames", async () => {
    const skippable = new Uint8Array([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
    const joined = Buffer.concat([zstdCompressSync(tar.subarray(0, 1000)), skippable, zstdCompressSync(tar.subarray(1000))]);
    expect(sha256(await collect(decompress(chunked(joined, 777))))).toBe(sha256(tar));
  });

  test("reports a truncated gzip layer as not valid gzip", async () => {
    const gz = gzipSync(tar);
    const err = await collect(decompress(chunked(gz.subarray(0, gz.length - 100)), "layer sha256:1234")).catch((e) => e);
    expect(err).toBeInstanceOf(RrError);
    expect(err.message).toMatch(/^layer sha256:1234 is not valid gzip: /);
  });

  test("reports corrupt gzip data as not valid gzip", async () => {
    const gz = gzipSync(tar);
    for (let i = 20; i < 60; i++) gz[i] ^= 0xff;
    await expect(collect(decompress(chunked(gz)))).rejects.toThrow(/^layer is not valid gzip: /);
  });

  for (const cut of [4, 20, 1000, 50]) {
    test(`reports a zstd layer cut ${cut} bytes short as truncated`, async () => {
      const z = zstdCompressSync(noise(300_000), { params: { [constants.ZSTD_c_checksumFlag]: cut === 4 ? 1 : 0 } });
      const err = await collect(decompress(chunked(z.subarray(0, z.length - cut)), "layer x")).catch((e) => e);
      expect(err).toBeInstanceOf(RrError);
      expect(err.message).toBe("layer x is not valid zstd: unexpected end of stream (truncated)");
    });
  }

  test("passes a source's own error through unchanged", async () => {
    const failing = (async function* () {
      yield gzipSync(tar).subarray(0, 100);
      throw new Error("disk on fire");
    })();
    await expect(collect(decompress(failing))).rejects.toThrow("disk on fire");
  });
});

describe("readFileStream()", () => {
  test("streams a file in fresh chunks of up to 1 MiB", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rr-dec-"));
    try {
      const data = noise(3_000_000);
      writeFileSync(join(dir, "f"), data);
      const chunks: Uint8Array[] = [];
      for await (const c of readFileStream(join(dir, "f"))) chunks.push(c);
      expect(chunks.length).toBe(3);
      expect(new Set(chunks.map((c) => c.buffer)).size).toBe(3); // readers keep views: no shared buffer
      expect(sha256(Buffer.concat(chunks))).toBe(sha256(data));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("throws NotFoundError for a missing file", async () => {
    await expect(collect(readFileStream("/nonexistent/rr-layer"))).rejects.toBeInstanceOf(NotFoundError);
  });
});
