/**
 * Tar writer: ustar headers, with PAX extended headers whenever a field does
 * not fit (long names, sizes ≥ 8 GiB, large ids, xattrs, fractional mtimes).
 * Names are written verbatim — `../evil` and `/abs` included — so tests can
 * build the hostile archives the extractor must refuse. Output depends only
 * on the entries given: no clock, no host lookups.
 */
import { RrError } from "../errors.ts";
import { writeSync } from "node:fs";

export interface TarMeta {
  /** Permission bits; defaults: 0644 files, 0755 dirs, 0777 symlinks. */
  mode?: number;
  uid?: number;
  gid?: number;
  uname?: string;
  gname?: string;
  /** Seconds since the epoch; default 0 so archives are reproducible. */
  mtime?: number;
  xattrs?: Record<string, Uint8Array | string>;
}

export type TarSpec = TarMeta &
  (
    | { type: "file"; path: string; data?: Uint8Array | string }
    | { type: "dir"; path: string }
    | { type: "symlink"; path: string; linkname: string }
    | { type: "hardlink"; path: string; linkname: string }
    | { type: "char" | "block"; path: string; devmajor: number; devminor: number }
    | { type: "fifo"; path: string }
  );

export interface TarWriterOptions {
  /**
   * "pax" (default) writes POSIX ustar + PAX. "gnu" writes what GNU tar does
   * by default: `L`/`K` long-name entries and base-256 numbers, so readers
   * can be tested against both dialects.
   */
  format?: "pax" | "gnu";
}

const BLOCK = 512;
const FLAG = { file: "0", hardlink: "1", symlink: "2", char: "3", block: "4", dir: "5", fifo: "6" } as const;
const DEFAULT_MODE = { file: 0o644, hardlink: 0o644, symlink: 0o777, char: 0o644, block: 0o644, dir: 0o755, fifo: 0o644 };
const enc = new TextEncoder();

/**
 * Produces a tar stream. Chunks go to `sink` as they are made (e.g. a file
 * via `fdSink`), or, without a sink, are queued for `for await` iteration.
 * The queue has no back-pressure: meant for builders and tests, not for
 * streaming unbounded data to a slow consumer.
 */
export class TarWriter implements AsyncIterable<Uint8Array> {
  private queue: Uint8Array[] = [];
  private finished = false;
  private wake?: () => void;
  private readonly gnu: boolean;

  constructor(private readonly sink?: (chunk: Uint8Array) => void, opts: TarWriterOptions = {}) {
    this.gnu = opts.format === "gnu";
  }

  add(spec: TarSpec): void {
    const data = spec.type === "file" && spec.data !== undefined ? toBytes(spec.data) : new Uint8Array(0);
    this.header(spec, data.length);
    if (data.length) this.body(data);
  }

  addFile(path: string, data: Uint8Array | string, meta: TarMeta = {}): void {
    this.add({ ...meta, type: "file", path, data });
  }
  addDir(path: string, meta: TarMeta = {}): void {
    this.add({ ...meta, type: "dir", path });
  }
  addSymlink(path: string, target: string, meta: TarMeta = {}): void {
    this.add({ ...meta, type: "symlink", path, linkname: target });
  }
  addHardlink(path: string, target: string, meta: TarMeta = {}): void {
    this.add({ ...meta, type: "hardlink", path, linkname: target });
  }
  addChar(path: string, devmajor: number, devminor: number, meta: TarMeta = {}): void {
    this.add({ ...meta, type: "char", path, devmajor, devminor });
  }
  addBlock(path: string, devmajor: number, devminor: number, meta: TarMeta = {}): void {
    this.add({ ...meta, type: "block", path, devmajor, devminor });
  }
  addFifo(path: string, meta: TarMeta = {}): void {
    this.add({ ...meta, type: "fifo", path });
  }

  /**
   * A raw PAX header: "x" applies to the next entry, "g" to all that follow.
   * `add` writes the PAX records it needs by itself; this is for archives
   * other tools write (git archive's global comment, libarchive's xattrs).
   */
  addPaxHeader(kind: "x" | "g", records: Record<string, Uint8Array | string>): void {
    const body = paxBody(Object.entries(records).map(([k, v]) => [k, toBytes(v)]));
    this.emit(this.block({ name: enc.encode(kind === "g" ? "pax_global_header" : "PaxHeaders.0/next"), flag: kind, size: body.length, mode: 0o644 }));
    this.body(body);
  }

  /** A file whose body is streamed; `size` must match the bytes the body yields. */
  async addFileStream(path: string, size: number, body: AsyncIterable<Uint8Array>, meta: TarMeta = {}): Promise<void> {
    this.header({ ...meta, type: "file", path }, size);
    let written = 0;
    for await (const chunk of body) {
      written += chunk.length;
      if (written > size) break;
      this.emit(chunk);
    }
    if (written !== size) throw new RrError(`tar entry "${path}": body is ${written} bytes, announced ${size}`);
    this.emit(new Uint8Array(pad(size)));
  }

  /** Writes the end-of-archive marker (two zero blocks). */
  finish(): void {
    if (this.finished) return;
    this.emit(new Uint8Array(BLOCK * 2));
    this.finished = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.sink) throw new RrError("TarWriter with a sink cannot also be iterated");
    for (;;) {
      while (this.queue.length) yield this.queue.shift()!;
      if (this.finished) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  private body(data: Uint8Array): void {
    this.emit(data);
    const p = pad(data.length);
    if (p) this.emit(new Uint8Array(p));
  }

  private emit(chunk: Uint8Array): void {
    if (this.finished) throw new RrError("TarWriter: entry added after finish()");
    if (this.sink) this.sink(chunk);
    else {
      this.queue.push(chunk);
      this.wake?.();
    }
  }

  private header(spec: TarSpec, size: number): void {
    const name = enc.encode(spec.path);
    const link = enc.encode("linkname" in spec ? spec.linkname : "");
    const uid = spec.uid ?? 0, gid = spec.gid ?? 0, mtime = spec.mtime ?? 0;
    const uname = enc.encode(spec.uname ?? ""), gname = enc.encode(spec.gname ?? "");
    const devmajor = "devmajor" in spec ? spec.devmajor : 0;
    const devminor = "devminor" in spec ? spec.devminor : 0;
    const pax: [string, Uint8Array][] = [];
    const paxText = (k: string, v: string) => pax.push([k, enc.encode(v)]);

    const split = this.gnu ? undefined : splitUstarName(name);
    if (this.gnu && name.length > 100) this.gnuLongName("L", name);
    else if (!this.gnu && !split) paxText("path", spec.path);
    if (link.length > 100) {
      if (this.gnu) this.gnuLongName("K", link);
      else paxText("linkpath", "linkname" in spec ? spec.linkname : "");
    }
    // Numbers that do not fit their octal field: PAX records, or base-256 in GNU mode.
    const fits = (v: number, width: number) => Number.isInteger(v) && v >= 0 && v < 8 ** (width - 1);
    if (!this.gnu) {
      if (!fits(size, 12)) paxText("size", String(size));
      if (!fits(uid, 8)) paxText("uid", String(uid));
      if (!fits(gid, 8)) paxText("gid", String(gid));
      if (!fits(mtime, 12)) paxText("mtime", String(mtime));
    }
    if (uname.length > 32) paxText("uname", spec.uname!);
    if (gname.length > 32) paxText("gname", spec.gname!);
    for (const [k, v] of Object.entries(spec.xattrs ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      pax.push([`SCHILY.xattr.${k}`, toBytes(v)]);
    }
    if (!fits(devmajor, 8) || !fits(devminor, 8)) {
      throw new RrError(`tar entry "${spec.path}": device number ${devmajor}:${devminor} does not fit`);
    }
    if (pax.length) {
      const body = paxBody(pax);
      const paxName = enc.encode(`PaxHeaders.0/${spec.path.split("/").filter(Boolean).pop() ?? "root"}`).subarray(0, 100);
      this.emit(this.block({ name: paxName, flag: "x", size: body.length, mode: 0o644 }));
      this.body(body);
    }
    this.emit(
      this.block({
        name: split ? split.name : name.subarray(0, 100),
        prefix: split?.prefix,
        flag: FLAG[spec.type],
        size,
        mode: spec.mode ?? DEFAULT_MODE[spec.type],
        uid, gid, mtime, uname: uname.subarray(0, 32), gname: gname.subarray(0, 32),
        linkname: link.subarray(0, 100),
        devmajor, devminor,
      }),
    );
  }

  private gnuLongName(flag: "L" | "K", value: Uint8Array): void {
    const body = new Uint8Array(value.length + 1); // GNU tar NUL-terminates it
    body.set(value);
    this.emit(this.block({ name: enc.encode("././@LongLink"), flag, size: body.length, mode: 0o644 }));
    this.body(body);
  }

  private block(h: HeaderFields): Uint8Array {
    const b = new Uint8Array(BLOCK);
    b.set(h.name, 0);
    this.number(b, 100, 8, h.mode & 0o7777);
    this.number(b, 108, 8, h.uid ?? 0);
    this.number(b, 116, 8, h.gid ?? 0);
    this.number(b, 124, 12, h.size);
    this.number(b, 136, 12, h.mtime ?? 0);
    b[156] = h.flag.charCodeAt(0);
    if (h.linkname) b.set(h.linkname, 157);
    // Magic: POSIX "ustar\0" "00", or GNU's "ustar  \0".
    b.set(enc.encode(this.gnu ? "ustar  \0" : "ustar\x0000"), 257);
    if (h.uname) b.set(h.uname, 265);
    if (h.gname) b.set(h.gname, 297);
    this.number(b, 329, 8, h.devmajor ?? 0);
    this.number(b, 337, 8, h.devminor ?? 0);
    if (h.prefix) b.set(h.prefix, 345);
    b.fill(0x20, 148, 156);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += b[i]!;
    b.set(enc.encode(sum.toString(8).padStart(6, "0") + "\0 "), 148);
    return b;
  }

  /** Octal when it fits; otherwise base-256 (GNU) or 0 (PAX carries the real value). */
  private number(b: Uint8Array, off: number, width: number, v: number): void {
    if (Number.isInteger(v) && v >= 0 && v < 8 ** (width - 1)) {
      b.set(enc.encode(v.toString(8).padStart(width - 1, "0") + "\0"), off);
    } else if (this.gnu && Number.isInteger(v)) {
      let x = BigInt(v);
      const negative = x < 0n;
      for (let i = width - 1; i >= 0; i--) {
        b[off + i] = Number(BigInt.asUintN(8, x));
        x >>= 8n;
      }
      b[off] = negative ? 0xff : 0x80 | (b[off]! & 0x7f);
    } else {
      b.set(enc.encode("0".padStart(width - 1, "0") + "\0"), off);
    }
  }
}

interface HeaderFields {
  name: Uint8Array;
  prefix?: Uint8Array;
  flag: string;
  size: number;
  mode: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  uname?: Uint8Array;
  gname?: Uint8Array;
  linkname?: Uint8Array;
  devmajor?: number;
  devminor?: number;
}

/** Splits a name into ustar prefix (≤155) + name (≤100) at a slash; undefined when impossible. */
function splitUstarName(name: Uint8Array): { name: Uint8Array; prefix?: Uint8Array } | undefined {
  if (name.some((c) => c >= 0x80)) return undefined; // non-ASCII goes to PAX, which is UTF-8 by definition
  if (name.length <= 100) return { name };
  for (let i = Math.min(name.length - 1, 155); i > 0; i--) {
    if (name[i] === 0x2f && name.length - i - 1 <= 100 && name.length - i - 1 > 0) {
      return { prefix: name.subarray(0, i), name: name.subarray(i + 1) };
    }
  }
  return undefined;
}

/** PAX records `<len> <key>=<value>\n`, where len counts its own digits. */
function paxBody(records: [string, Uint8Array][]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [k, v] of records) {
    const base = enc.encode(k).length + v.length + 3;
    let len = base + String(base).length;
    if (String(len).length > String(base).length) len++;
    parts.push(enc.encode(`${len} ${k}=`), v, enc.encode("\n"));
  }
  return concat(parts);
}

function toBytes(v: Uint8Array | string): Uint8Array {
  return typeof v === "string" ? enc.encode(v) : v;
}

function pad(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** A sink that writes each chunk to a file descriptor. */
export function fdSink(fd: number): (chunk: Uint8Array) => void {
  return (chunk) => {
    let off = 0;
    while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
  };
}

/** A raw PAX header in a `tarBytes` list (see `TarWriter.addPaxHeader`). */
export interface PaxHeaderSpec {
  type: "pax";
  kind: "x" | "g";
  records: Record<string, Uint8Array | string>;
}

/** A whole archive in memory, end marker included: the easy way for tests to build one. */
export function tarBytes(entries: (TarSpec | PaxHeaderSpec)[], opts: TarWriterOptions = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  const w = new TarWriter((c) => parts.push(c), opts);
  for (const e of entries) {
    if (e.type === "pax") w.addPaxHeader(e.kind, e.records);
    else w.add(e);
  }
  w.finish();
  return concat(parts);
}
