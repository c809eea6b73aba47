/** Helpers shared by the archive tests: feed bytes in chosen chunk sizes, collect entries. */
import { readTar, type TarEntry } from "../../src/image/tar-reader.ts";

/** Yields `bytes` in pieces of `size` (views, not copies), like a socket or a file stream would. */
export async function* chunked(bytes: Uint8Array, size = 64 * 1024): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

export interface ReadEntry extends TarEntry {
  data: Uint8Array;
}

/** Every entry with its body read into memory. */
export async function readAll(source: AsyncIterable<Uint8Array>): Promise<ReadEntry[]> {
  const out: ReadEntry[] = [];
  for await (const { entry, body } of readTar(source)) {
    const parts: Uint8Array[] = [];
    for await (const c of body) parts.push(c.slice());
    out.push({ ...entry, data: new Uint8Array(Buffer.concat(parts)) });
  }
  return out;
}

export const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** Recomputes a header's checksum; `signed` writes the old signed-char sum some tars used. */
export function rewriteChecksum(archive: Uint8Array, headerOffset: number, signed = false): void {
  const h = archive.subarray(headerOffset, headerOffset + 512);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += signed && b >= 0x80 ? b - 256 : b;
  h.set(new TextEncoder().encode(sum.toString(8).padStart(6, "0") + "\0 "), 148);
}

/** The offset of the header whose name field starts with `name`. */
export function headerOffset(archive: Uint8Array, name: string): number {
  const want = new TextEncoder().encode(name);
  for (let off = 0; off + 512 <= archive.length; off += 512) {
    if (want.every((c, i) => archive[off + i] === c) && archive[off + 156] !== 0x78) return off;
  }
  throw new Error(`no header named ${name}`);
}
