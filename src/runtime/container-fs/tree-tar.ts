/**
 * Files of a (layered) directory tree as tar entries, the way Docker's
 * archive package writes them: directories end in `/`, owners are numeric
 * ids as the reader sees them (the container's, inside its user
 * namespace), hard links become link entries, sockets are left out, and
 * only `security.capability` of the extended attributes is kept.
 * Nothing is followed: files are opened only after an O_PATH check says
 * they are regular files (dir-fd.ts).
 */
import { closeSync, readSync, type Stats } from "node:fs";
import { concat, TarWriter, type TarMeta } from "../../image/tar-writer.ts";
import { RrError } from "../../errors.ts";
import { plainCause } from "./dir-fd.ts";
import type { Entry, LayeredDir } from "./layered-dir.ts";

const CHUNK = 1 << 20;

/** Collects what TarWriter emits; `flush` hands it on and waits for the reader. */
export class PendingSink {
  private chunks: Uint8Array[] = [];
  private size = 0;
  constructor(private readonly deliver: (bytes: Uint8Array) => Promise<void>) {}

  readonly write = (chunk: Uint8Array): void => {
    this.chunks.push(chunk);
    this.size += chunk.length;
  };

  async flush(): Promise<void> {
    if (!this.size) return;
    const bytes = this.chunks.length === 1 ? this.chunks[0]! : concat(this.chunks);
    this.chunks = [];
    this.size = 0;
    await this.deliver(bytes);
  }
}

export function devNumbers(rdev: number): { devmajor: number; devminor: number } {
  const dev = BigInt(rdev);
  return {
    devmajor: Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn)),
    devminor: Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn)),
  };
}

export class TreeTar {
  private readonly writer: TarWriter;
  /** dev:ino of files with more than one link → the first name written. */
  private readonly links = new Map<string, string>();

  constructor(private readonly sink: PendingSink) {
    this.writer = new TarWriter(sink.write);
  }

  /** NAME of DIR as `tarName`, and when it is a directory, everything below it. */
  async addTree(dir: LayeredDir, entry: Entry, tarName: string): Promise<void> {
    const written = await this.addEntry(entry, tarName);
    if (!written || !entry.stat.isDirectory()) return;
    const child = dir.openChild(entry.name);
    try {
      await this.addChildren(child, tarName);
    } finally {
      child.close();
    }
  }

  /** Everything in DIR, named `prefix/NAME` (or `NAME` for an empty prefix). */
  async addChildren(dir: LayeredDir, prefix: string): Promise<void> {
    for (const name of dir.names()) {
      const e = dir.lookup(name);
      if (e) await this.addTree(dir, e, prefix ? `${prefix}/${name}` : name);
    }
  }

  /** One entry (a directory without its contents). Returns false when it was left out. */
  async addEntry(entry: Entry, tarName: string): Promise<boolean> {
    try {
      return await this.writeEntry(entry, tarName);
    } catch (err) {
      if (err instanceof RrError) throw err;
      throw new RrError(`cannot read ${JSON.stringify(tarName)}`, { cause: plainCause(err) });
    }
  }

  private async writeEntry(entry: Entry, tarName: string): Promise<boolean> {
    const st = entry.stat;
    const meta = metaOf(st);
    const caps = entry.dir.getxattr(entry.name, "security.capability");
    if (caps) meta.xattrs = { "security.capability": caps };
    if (st.isDirectory()) {
      this.writer.addDir(tarName.endsWith("/") ? tarName : `${tarName}/`, meta);
    } else if (st.isSymbolicLink()) {
      this.writer.addSymlink(tarName, entry.dir.readlink(entry.name), meta);
    } else if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? this.links.get(key) : undefined;
      if (first !== undefined) {
        this.writer.addHardlink(tarName, first, meta);
      } else {
        if (!(await this.addFile(entry, tarName))) return false;
        if (st.nlink > 1) this.links.set(key, tarName);
      }
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      const { devmajor, devminor } = devNumbers(st.rdev);
      if (st.isCharacterDevice()) this.writer.addChar(tarName, devmajor, devminor, meta);
      else this.writer.addBlock(tarName, devmajor, devminor, meta);
    } else if (st.isFIFO()) {
      this.writer.addFifo(tarName, meta);
    } else {
      return false; // sockets: Docker leaves them out too
    }
    await this.sink.flush();
    return true;
  }

  /** A directory entry alone, for a directory that is not an entry of its parent (`./`). */
  async addDirEntry(tarName: string, st: Stats): Promise<void> {
    this.writer.addDir(tarName.endsWith("/") ? tarName : `${tarName}/`, metaOf(st));
    await this.sink.flush();
  }

  /** `.wh.NAME` beside NAME: deletes it from the layers below. */
  async addWhiteout(tarName: string): Promise<void> {
    const cut = tarName.lastIndexOf("/");
    this.writer.addFile(`${tarName.slice(0, cut + 1)}.wh.${tarName.slice(cut + 1)}`, "", { mode: 0o600 });
    await this.sink.flush();
  }

  /** `DIR/.wh..wh..opq`: DIR hides the layers below it. */
  async addOpaqueMarker(dirName: string, st: Stats): Promise<void> {
    this.writer.addFile(`${dirName.replace(/\/$/, "")}/.wh..wh..opq`, "", { ...metaOf(st), mode: st.mode & 0o777 });
    await this.sink.flush();
  }

  async finish(): Promise<void> {
    this.writer.finish();
    await this.sink.flush();
  }

  /** A file's bytes as they are now; a file that changes size meanwhile is cut or padded to the size announced. */
  private async addFile(entry: Entry, tarName: string): Promise<boolean> {
    const opened = entry.dir.openRead(entry.name);
    if (!opened) return false; // no longer a regular file
    const { fd, stat } = opened;
    try {
      const size = stat.size;
      const sink = this.sink;
      await this.writer.addFileStream(tarName, size, (async function* () {
        let left = size;
        while (left > 0) {
          const buf = Buffer.allocUnsafe(Math.min(CHUNK, left));
          let n = readSync(fd, buf, 0, buf.length, null);
          if (n === 0) { buf.fill(0); n = buf.length; } // shrank: pad with zeros
          left -= n;
          yield buf.subarray(0, n);
          await sink.flush();
        }
      })(), metaOf(stat));
    } finally {
      closeSync(fd);
    }
    return true;
  }
}

function metaOf(st: Stats): TarMeta {
  return { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) };
}
