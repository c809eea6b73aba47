/**
 * Streaming tar reader: ustar, GNU (long names, base-256 numbers) and PAX.
 * Bodies are handed out as views into the chunks the source produced, so a
 * 100 MB layer is not copied once more on its way to the disk.
 */
import { RrError } from "../errors.ts";

export type TarEntryType = "file" | "dir" | "symlink" | "hardlink" | "char" | "block" | "fifo";

export interface TarEntry {
  /** The name as in the archive after PAX/GNU long-name handling; not normalized. */
  path: string;
  type: TarEntryType;
  size: number;
  /** Permission bits including setuid/setgid/sticky; no file-type bits. */
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  /** Seconds since the epoch; fractional when a PAX header said so. */
  mtime: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  xattrs: Record<string, Uint8Array>;
}

const BLOCK = 512;
/** Same cap as Go's archive/tar: a PAX or GNU long-name body is metadata, not data. */
const MAX_META_SIZE = 1 << 20;

const TYPE_BY_FLAG: Record<string, TarEntryType> = {
  "0": "file", "7": "file", "1": "hardlink", "2": "symlink",
  "3": "char", "4": "block", "5": "dir", "6": "fifo",
  "D": "dir", // GNU dump-dir: a directory whose body lists its contents; the body is skipped
};
/** Types whose size field does not announce a body (matches Go's isHeaderOnlyType). */
const HEADER_ONLY = new Set<TarEntryType>(["hardlink", "symlink", "char", "block", "dir", "fifo"]);

function tarError(message: string): RrError {
  return new RrError(message, { code: "BAD_TAR" });
}

/**
 * Reads exact byte counts from an async chunk source, keeping the source's
 * chunks and slicing views out of them; bytes are copied only when a header
 * straddles two chunks.
 */
class ChunkQueue {
  private chunks: Uint8Array[] = [];
  private head = 0; // offset into chunks[0]
  private buffered = 0;
  private done = false;
  constructor(private readonly it: AsyncIterator<Uint8Array>) {}

  /** Ensures `n` bytes are buffered unless the source ends first; returns what is buffered. */
  private async fill(n: number): Promise<number> {
    while (this.buffered < n && !this.done) {
      const r = await this.it.next();
      if (r.done) { this.done = true; break; }
      if (r.value.length === 0) continue;
      this.chunks.push(r.value);
      this.buffered += r.value.length;
    }
    return this.buffered;
  }

  /** Exactly `n` bytes, or the shorter remainder at end of input. */
  async read(n: number): Promise<Uint8Array> {
    await this.fill(n);
    const want = Math.min(n, this.buffered);
    const first = this.chunks[0];
    if (first && first.length - this.head >= want) {
      const out = first.subarray(this.head, this.head + want);
      this.consume(want);
      return out;
    }
    const out = new Uint8Array(want);
    let off = 0;
    while (off < want) {
      const c = this.chunks[0]!;
      const take = Math.min(c.length - this.head, want - off);
      out.set(c.subarray(this.head, this.head + take), off);
      off += take;
      this.consume(take);
    }
    return out;
  }

  /** Up to `max` bytes as one view of a source chunk; empty only at end of input. */
  async readSome(max: number): Promise<Uint8Array> {
    if (this.buffered === 0) await this.fill(1);
    const c = this.chunks[0];
    if (!c) return new Uint8Array(0);
    const take = Math.min(c.length - this.head, max);
    const out = c.subarray(this.head, this.head + take);
    this.consume(take);
    return out;
  }

  /** Discards up to `n` bytes; returns how many were actually there. */
  async skip(n: number): Promise<number> {
    let left = n;
    while (left > 0) {
      const got = (await this.readSome(left)).length;
      if (got === 0) break;
      left -= got;
    }
    return n - left;
  }

  private consume(n: number): void {
    this.head += n;
    this.buffered -= n;
    if (this.head === this.chunks[0]!.length) {
      this.chunks.shift();
      this.head = 0;
    }
  }
}

const latin1 = new TextDecoder("latin1");
const utf8 = new TextDecoder("utf-8");

/** A NUL-terminated string field. Names are decoded as UTF-8, as GNU tar and Go write them. */
function str(b: Uint8Array, off: number, len: number): string {
  const f = b.subarray(off, off + len);
  const nul = f.indexOf(0);
  return utf8.decode(nul < 0 ? f : f.subarray(0, nul));
}

/** A numeric field: octal text (NUL/space padded), or GNU base-256 when the top bit is set. */
function num(b: Uint8Array, off: number, len: number, field: string): number {
  const f = b.subarray(off, off + len);
  if (f[0]! & 0x80) {
    // GNU base-256: big-endian two's complement after the marker bit; bit 0x40 is the sign.
    const inv = f[0]! & 0x40 ? 0xff : 0;
    let v = 0n;
    for (let i = 0; i < f.length; i++) {
      let c = f[i]! ^ inv;
      if (i === 0) c &= 0x7f;
      v = (v << 8n) | BigInt(c);
    }
    if (inv) v = -v - 1n;
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) {
      throw tarError(`tar header field ${field} is out of range`);
    }
    return Number(v);
  }
  const text = latin1.decode(f).replace(/[\0 ]+$/, "").replace(/^[ ]+/, "");
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text)) throw tarError(`tar header field ${field} is not octal: ${JSON.stringify(text)}`);
  return parseInt(text, 8);
}

/** Accepts both the unsigned sum (POSIX) and the signed sum some old tars wrote. */
function checksumOk(b: Uint8Array): boolean {
  const stored = num(b, 148, 8, "chksum");
  let unsigned = 0, signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : b[i]!;
    unsigned += byte;
    signed += byte < 0x80 ? byte : byte - 256;
  }
  return stored === unsigned || stored === signed;
}

function isZeroBlock(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/** PAX extended header records: `<len> <key>=<value>\n`. Values stay bytes (xattrs are binary). */
function parsePax(body: Uint8Array, where: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  let off = 0;
  while (off < body.length) {
    if (body[off] === 0) break; // some writers pad the body with NULs
    const space = body.indexOf(0x20, off);
    const digits = space < 0 ? "" : latin1.decode(body.subarray(off, space));
    const len = /^[0-9]{1,9}$/.test(digits) ? Number(digits) : NaN;
    if (!Number.isInteger(len) || len <= 0 || off + len > body.length || body[off + len - 1] !== 0x0a) {
      throw tarError(`invalid PAX header ${where}`);
    }
    const rec = body.subarray(space + 1, off + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq <= 0) throw tarError(`invalid PAX record in ${where}`);
    out.set(utf8.decode(rec.subarray(0, eq)), rec.subarray(eq + 1));
    off += len;
  }
  return out;
}

/** Applies PAX records to an entry; `global` headers may not rename or resize it. */
function applyPax(entry: TarEntry, pax: Map<string, Uint8Array>, global: boolean): void {
  for (const [key, raw] of pax) {
    const text = () => utf8.decode(raw);
    const number = () => {
      const v = Number(text());
      if (!Number.isFinite(v)) throw tarError(`entry "${entry.path}": invalid PAX ${key} ${JSON.stringify(text())}`);
      return v;
    };
    if (key.startsWith("SCHILY.xattr.")) {
      entry.xattrs[key.slice("SCHILY.xattr.".length)] = raw.slice();
    } else if (key.startsWith("LIBARCHIVE.xattr.")) {
      const name = decodeURIComponent(key.slice("LIBARCHIVE.xattr.".length));
      entry.xattrs[name] = new Uint8Array(Buffer.from(text(), "base64"));
    } else if (key.startsWith("GNU.sparse.")) {
      throw tarError(`entry "${entry.path}": sparse files (GNU.sparse PAX) are not supported`);
    } else if (key === "uid") entry.uid = number();
    else if (key === "gid") entry.gid = number();
    else if (key === "uname") entry.uname = text();
    else if (key === "gname") entry.gname = text();
    else if (key === "mtime") entry.mtime = number();
    else if (global) continue; // a global path/size would apply to every entry: meaningless, ignored
    else if (key === "path") entry.path = text();
    else if (key === "linkpath") entry.linkname = text();
    else if (key === "size") entry.size = number();
  }
}

/**
 * Yields each entry with its body. A body not read to the end is skipped
 * when the next entry is requested; it cannot be read after that. The
 * source is closed (`return()`) whenever reading stops — end-of-archive
 * marker, error, or a consumer that breaks early — and bytes after the
 * marker are not read: a caller hashing the whole stream must drain it.
 */
export async function* readTar(
  source: AsyncIterable<Uint8Array>,
): AsyncGenerator<{ entry: TarEntry; body: AsyncIterable<Uint8Array> }> {
  const it = source[Symbol.asyncIterator]();
  const q = new ChunkQueue(it);
  let globalPax = new Map<string, Uint8Array>();
  // Pending metadata from PAX 'x' and GNU 'L'/'K' headers for the next entry.
  let localPax: Map<string, Uint8Array> | undefined;
  let longName: string | undefined;
  let longLink: string | undefined;
  let lastName = "(start of archive)";

  /** The body of a metadata header, read whole (bounded by MAX_META_SIZE). */
  async function metaBody(size: number, what: string): Promise<Uint8Array> {
    if (size > MAX_META_SIZE) throw tarError(`${what} is too large (${size} bytes)`);
    const b = await q.read(size);
    if (b.length < size) throw tarError(`truncated tar archive: ${what} ends after ${b.length} of ${size} bytes`);
    await q.skip(pad(size));
    return b.slice(); // parsed values outlive the source chunk
  }

  try {
    for (;;) {
      const header = await q.read(BLOCK);
      if (header.length === 0) return; // EOF after a complete entry: Docker accepts it
      if (header.length < BLOCK) throw tarError(`truncated tar archive: header after "${lastName}" is cut short`);
      if (isZeroBlock(header)) {
        const next = await q.read(BLOCK);
        if (next.length === 0 || isZeroBlock(next)) return;
        if (next.length < BLOCK) throw tarError(`truncated tar archive: end-of-archive marker after "${lastName}" is cut short`);
        throw tarError(`invalid tar archive: a single zero block is followed by data after "${lastName}"`);
      }
      if (!checksumOk(header)) throw tarError(`invalid tar header after "${lastName}": checksum mismatch`);

      const flag = String.fromCharCode(header[156]!);
      const size = num(header, 124, 12, "size");
      if (flag === "x" || flag === "g") {
        const pax = parsePax(await metaBody(size, `PAX header after "${lastName}"`), `after "${lastName}"`);
        if (flag === "g") globalPax = new Map([...globalPax, ...pax]);
        else localPax = new Map([...(localPax ?? []), ...pax]);
        continue;
      }
      if (flag === "L" || flag === "K") {
        const b = await metaBody(size, `GNU long ${flag === "L" ? "name" : "link"} header after "${lastName}"`);
        const nul = b.indexOf(0);
        const text = utf8.decode(nul < 0 ? b : b.subarray(0, nul));
        if (flag === "L") longName = text;
        else longLink = text;
        continue;
      }

      const entry = parseHeader(header, flag);
      if (longName !== undefined) entry.path = longName;
      if (longLink !== undefined) entry.linkname = longLink;
      applyPax(entry, globalPax, true);
      if (localPax) applyPax(entry, localPax, false);
      localPax = longName = longLink = undefined;
      lastName = entry.path;
      if (!Number.isSafeInteger(entry.size) || entry.size < 0) {
        throw tarError(`tar entry "${entry.path}": invalid size ${entry.size}`);
      }

      if (flag !== "\0" && !TYPE_BY_FLAG[flag]) {
        throw tarError(`tar entry "${entry.path}": unsupported type flag ${JSON.stringify(flag)}`);
      }
      // Header-only types announce no body whatever their size field says (as Go's reader);
      // a GNU dump-dir does carry one, which nobody needs and is skipped.
      const bodySize = HEADER_ONLY.has(entry.type) && flag !== "D" ? 0 : entry.size;
      if (HEADER_ONLY.has(entry.type)) entry.size = 0;

      let remaining = bodySize;
      let current = true;
      const body: AsyncIterable<Uint8Array> = {
        async *[Symbol.asyncIterator]() {
          if (!current) throw tarError(`tar entry "${entry.path}": body read after moving to the next entry`);
          while (remaining > 0) {
            const chunk = await q.readSome(remaining);
            if (chunk.length === 0) throw truncatedBody(entry.path, bodySize - remaining, bodySize);
            remaining -= chunk.length;
            yield chunk;
          }
        },
      };
      yield { entry, body };
      current = false;
      if (remaining > 0) {
        const skipped = await q.skip(remaining);
        if (skipped < remaining) throw truncatedBody(entry.path, bodySize - remaining + skipped, bodySize);
        remaining = 0;
      }
      // Padding cut off at the very end loses no data; the next read sees EOF and stops.
      await q.skip(pad(bodySize));
    }
  } finally {
    // Let the source release its resources (file handles, zlib streams) when we stop early.
    await it.return?.();
  }
}

function pad(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

function truncatedBody(path: string, got: number, want: number): RrError {
  return tarError(`truncated tar archive: entry "${path}" ends after ${got} of ${want} bytes`);
}

function parseHeader(h: Uint8Array, flag: string): TarEntry {
  let path = str(h, 0, 100);
  // "ustar\0" (POSIX) uses the prefix field; GNU's "ustar  \0" keeps atime/ctime there instead.
  const posix = h[257] === 0x75 && h[262] === 0 && str(h, 257, 6) === "ustar";
  if (posix) {
    const prefix = str(h, 345, 155);
    if (prefix) path = `${prefix}/${path}`;
  }
  // Old (V7) archives mark directories with a trailing slash on a NUL type flag.
  let type: TarEntryType = TYPE_BY_FLAG[flag] ?? "file";
  if (flag === "\0") type = path.endsWith("/") ? "dir" : "file";
  return {
    path,
    type,
    size: num(h, 124, 12, "size"),
    mode: num(h, 100, 8, "mode") & 0o7777,
    uid: num(h, 108, 8, "uid"),
    gid: num(h, 116, 8, "gid"),
    uname: str(h, 265, 32),
    gname: str(h, 297, 32),
    mtime: num(h, 136, 12, "mtime"),
    linkname: str(h, 157, 100),
    devmajor: num(h, 329, 8, "devmajor"),
    devminor: num(h, 337, 8, "devminor"),
    xattrs: {},
  };
}
