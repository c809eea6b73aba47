/**
 * Extracts a `cp` tar into a directory (TargetDir): Docker's Untar with
 * NoOverwriteDirNonDir. Names must stay inside (no absolute names, no
 * `..`), a directory is never replaced by a non-directory nor the other
 * way round, and an entry never passes through a symlink: every parent must
 * be a real directory, so neither a hostile archive nor a hostile
 * container can redirect a write (CVE-2018-15664, CVE-2019-10152).
 */
import { closeSync, fchmodSync, fchownSync, futimesSync, writeSync } from "node:fs";
import { RrError, SyscallError } from "../../errors.ts";
import { readTar, type TarEntry } from "../../image/tar-reader.ts";
import { makedev, S_IFBLK, S_IFCHR, S_IFIFO } from "../../sys/libc.ts";
import { rebaseName } from "./cp-plan.ts";
import { errnoCode, plainCause } from "./dir-fd.ts";
import { isOverlayXattr } from "./layered-dir.ts";
import { OPAQUE_XATTR, type TargetDir } from "./targets.ts";

export interface ExtractOptions {
  /** root: files belong to the container's root; keep: the archive's ids (cp -a); none: whoever writes (the host side). */
  owner: "root" | "keep" | "none";
  rename?: { from: string; to: string };
  /** The destination directory's path for messages, e.g. `/etc` or `./out`. */
  label: string;
}

export interface ExtractStats {
  entries: number;
  bytes: number;
  skippedDevices: number;
  skippedOwnership: number;
}

interface DirMeta { parts: string[]; mode: number; mtime: number; uid: number; gid: number }

export async function extractTar(root: TargetDir, source: AsyncIterable<Uint8Array>, opts: ExtractOptions): Promise<ExtractStats> {
  const x = new Extraction(root, opts);
  try {
    for await (const { entry, body } of readTar(source)) await x.add(entry, body);
    x.finishDirs();
  } finally {
    x.close();
  }
  return x.stats;
}

class Extraction {
  readonly stats: ExtractStats = { entries: 0, bytes: 0, skippedDevices: 0, skippedOwnership: 0 };
  /** Directories along the current entry's path: stack[0] is the root (not owned). */
  private stack: TargetDir[];
  private names: string[] = [];
  private dirs: DirMeta[] = [];

  constructor(private readonly root: TargetDir, private readonly opts: ExtractOptions) {
    this.stack = [root];
  }

  private label(parts: string[]): string {
    const base = this.opts.label.replace(/\/+$/, "");
    return JSON.stringify(parts.length ? `${base}/${parts.join("/")}` : this.opts.label);
  }

  private components(entry: TarEntry, name: string): string[] {
    const renamed = this.opts.rename ? rebaseName(name, this.opts.rename.from, this.opts.rename.to) : name;
    if (renamed.includes("\0")) throw new RrError(`archive entry ${JSON.stringify(entry.path)}: the name contains a NUL byte`);
    if (renamed.startsWith("/")) throw new RrError(`archive entry ${JSON.stringify(entry.path)}: absolute names are not allowed`);
    const parts = renamed.split("/").filter((p) => p !== "" && p !== ".");
    if (parts.includes("..")) throw new RrError(`archive entry ${JSON.stringify(entry.path)}: the name leads outside the destination`);
    return parts;
  }

  /** The directory holding the entry, opening (or creating) each parent; none may be a symlink. */
  private parentOf(parts: string[]): TargetDir {
    const want = parts.slice(0, -1);
    let keep = 0;
    while (keep < this.names.length && keep < want.length && this.names[keep] === want[keep]) keep++;
    while (this.names.length > keep) { this.stack.pop()!.close(); this.names.pop(); }
    for (let i = keep; i < want.length; i++) {
      const here = this.stack[this.stack.length - 1]!;
      const name = want[i]!;
      const st = here.lookup(name);
      if (st && !st.isDirectory()) {
        throw new RrError(`cannot copy to ${this.label(want.slice(0, i + 1))}: it is ${st.isSymbolicLink() ? "a symbolic link" : "not a directory"}`);
      }
      if (!st) {
        const { dir, hidesBelow } = here.prepare(name);
        dir.mkdir(name, 0o755);
        if (hidesBelow) dir.setxattr(name, OPAQUE_XATTR, new TextEncoder().encode("y"));
        if (this.opts.owner !== "none") this.chown(() => dir.lchown(name, 0, 0));
      }
      this.stack.push(here.child(name));
      this.names.push(name);
    }
    return this.stack[this.stack.length - 1]!;
  }

  async add(entry: TarEntry, body: AsyncIterable<Uint8Array>): Promise<void> {
    this.stats.entries++;
    const parts = this.components(entry, entry.path);
    if (!parts.length) return; // the destination directory itself keeps its own owner and mode
    try {
      const parent = this.parentOf(parts);
      const name = parts[parts.length - 1]!;
      const existing = parent.lookup(name);
      if (entry.type === "dir") {
        if (existing && !existing.isDirectory()) {
          throw new RrError(`cannot overwrite non-directory ${this.label(parts)} with directory`);
        }
        if (!existing) {
          const { dir, hidesBelow } = parent.prepare(name);
          dir.mkdir(name, 0o700);
          if (hidesBelow) dir.setxattr(name, OPAQUE_XATTR, new TextEncoder().encode("y"));
        }
        const { uid, gid } = this.owner(entry);
        this.dirs.push({ parts, mode: entry.mode, mtime: entry.mtime, uid, gid });
        return;
      }
      if (existing?.isDirectory()) throw new RrError(`cannot overwrite directory ${this.label(parts)} with non-directory`);
      if (entry.type === "hardlink") return this.hardlink(entry, parent, name);
      const { dir } = parent.prepare(name);
      const { uid, gid } = this.owner(entry);
      switch (entry.type) {
        case "file": {
          const fd = dir.create(name);
          try {
            for await (const chunk of body) {
              for (let off = 0; off < chunk.length;) off += writeSync(fd, chunk, off, chunk.length - off);
              this.stats.bytes += chunk.length;
            }
            if (this.opts.owner !== "none") this.chown(() => fchownSync(fd, uid, gid));
            fchmodSync(fd, entry.mode); // after chown, which clears setuid
            futimesSync(fd, entry.mtime, entry.mtime);
          } finally {
            closeSync(fd);
          }
          break;
        }
        case "symlink":
          dir.symlink(name, entry.linkname); // the target is resolved by whoever follows it, inside the container
          if (this.opts.owner !== "none") this.chown(() => dir.lchown(name, uid, gid));
          dir.lutimes(name, entry.mtime, entry.mtime);
          break;
        case "char": case "block": case "fifo": {
          const type = entry.type === "char" ? S_IFCHR : entry.type === "block" ? S_IFBLK : S_IFIFO;
          try {
            dir.mknod(name, type | (entry.mode & 0o777), entry.type === "fifo" ? 0n : makedev(entry.devmajor, entry.devminor));
          } catch (err) {
            if (entry.type !== "fifo" && err instanceof SyscallError && err.errno === 1) { this.stats.skippedDevices++; return; }
            throw err;
          }
          if (this.opts.owner !== "none") this.chown(() => dir.lchown(name, uid, gid));
          break;
        }
      }
      if (entry.type !== "symlink") this.xattrs(entry, parent, name);
    } catch (err) {
      if (err instanceof RrError && !(err instanceof SyscallError)) throw err;
      throw new RrError(`cannot copy to ${this.label(parts)}`, { cause: plainCause(err) });
    }
  }

  /** Hard link targets name an earlier entry, relative to the destination like every name. */
  private hardlink(entry: TarEntry, parent: TargetDir, name: string): void {
    const target = this.components(entry, entry.linkname);
    if (!target.length) throw new RrError(`archive entry ${JSON.stringify(entry.path)}: hard link to the destination itself`);
    const linkParts = [...this.names, name];
    // Open the target's directory on a separate walk: the current stack must stay as it is.
    let dir: TargetDir = this.root;
    const opened: TargetDir[] = [];
    try {
      for (const p of target.slice(0, -1)) {
        const st = dir.lookup(p);
        if (!st?.isDirectory()) throw new RrError(`archive entry ${JSON.stringify(entry.path)}: hard link target ${JSON.stringify(entry.linkname)} is not in the archive`);
        dir = dir.child(p);
        opened.push(dir);
      }
      const tname = target[target.length - 1]!;
      const st = dir.lookup(tname);
      if (!st || st.isDirectory()) throw new RrError(`archive entry ${JSON.stringify(entry.path)}: hard link target ${JSON.stringify(entry.linkname)} is not a file`);
      const from = dir.writableFile(tname);
      const { dir: to } = parent.prepare(name);
      to.link(name, from, tname);
    } catch (err) {
      if (err instanceof RrError && !(err instanceof SyscallError)) throw err;
      throw new RrError(`cannot copy to ${this.label(linkParts)}`, { cause: plainCause(err) });
    } finally {
      for (const d of opened.reverse()) d.close();
    }
  }

  private owner(entry: TarEntry): { uid: number; gid: number } {
    return this.opts.owner === "keep" ? { uid: entry.uid, gid: entry.gid } : { uid: 0, gid: 0 };
  }

  /** An id the user namespace does not map cannot be given: the file keeps root's. */
  private chown(call: () => void): void {
    try {
      call();
    } catch (err) {
      const code = errnoCode(err);
      if (code !== "EINVAL" && code !== "EPERM") throw err;
      this.stats.skippedOwnership++;
    }
  }

  private xattrs(entry: TarEntry, parent: TargetDir, name: string): void {
    for (const [x, v] of Object.entries(entry.xattrs)) {
      if (isOverlayXattr(x)) continue;
      try { parent.writable().setxattr(name, x, v); } catch {}
    }
  }

  /** Directory owners, modes and times last, deepest first: a 0555 directory must not stop its own contents. */
  finishDirs(): void {
    while (this.names.length) { this.stack.pop()!.close(); this.names.pop(); }
    for (const d of this.dirs.sort((a, b) => b.parts.length - a.parts.length)) {
      const opened: TargetDir[] = [];
      try {
        let dir: TargetDir = this.root;
        for (const p of d.parts) {
          if (!dir.lookup(p)?.isDirectory()) break;
          dir = dir.child(p);
          opened.push(dir);
        }
        if (opened.length !== d.parts.length) continue;
        const w = dir.writable();
        if (this.opts.owner !== "none") this.chown(() => w.fchown(d.uid, d.gid));
        w.fchmod(d.mode);
        w.futimes(d.mtime, d.mtime);
      } finally {
        for (const o of opened.reverse()) o.close();
      }
    }
  }

  close(): void {
    while (this.names.length) { this.stack.pop()!.close(); this.names.pop(); }
  }
}
