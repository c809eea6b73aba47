/**
 * Where copied files are written. A plain directory tree (a running
 * container's root through /proc/PID/root, a copy-driver root, a host
 * directory) is written in place. A stopped overlay container is written
 * the way overlayfs itself would: into its upper layer, copying a
 * directory up from the image's layers before anything is created in it,
 * removing a whiteout before its name is reused, and marking a directory
 * that replaces a deleted one opaque.
 */
import { closeSync, fchmodSync, fchownSync, futimesSync, readSync, writeSync, type Stats } from "node:fs";
import { RrError } from "../../errors.ts";
import { DirFd, isWhiteoutStat } from "./dir-fd.ts";
import { isOverlayXattr, type LayeredDir, WHITEOUT_PREFIX } from "./layered-dir.ts";

export interface TargetDir {
  /** What is visible at NAME, not followed. */
  lookup(name: string): Stats | undefined;
  /**
   * The writable directory to create NAME in, with what only the writable
   * layer held at NAME (a whiteout, a non-directory) removed. `hidesBelow`:
   * a directory made there must hide the image's.
   */
  prepare(name: string): { dir: DirFd; hidesBelow: boolean };
  /** The existing directory NAME. */
  child(name: string): TargetDir;
  /** This directory in the writable layer (copied up first if needed). */
  writable(): DirFd;
  /** The writable directory holding NAME's inode, copying NAME up if only the image has it (for hard links). */
  writableFile(name: string): DirFd;
  close(): void;
}

export const OPAQUE_XATTR = "user.overlay.opaque";

export class PlainTarget implements TargetDir {
  constructor(private readonly dir: DirFd, private readonly owned = true) {}

  lookup(name: string): Stats | undefined {
    return this.dir.lstat(name);
  }

  prepare(name: string): { dir: DirFd; hidesBelow: boolean } {
    const st = this.dir.lstat(name);
    if (st && !st.isDirectory()) this.dir.unlink(name);
    return { dir: this.dir, hidesBelow: false };
  }

  child(name: string): TargetDir {
    return new PlainTarget(this.dir.openDir(name));
  }

  writable(): DirFd {
    return this.dir;
  }

  writableFile(): DirFd {
    return this.dir;
  }

  close(): void {
    if (this.owned) this.dir.close();
  }
}

export class UpperTarget implements TargetDir {
  private upper?: DirFd;

  /** `merged`: this directory in the view whose layer 0 is the upper. Owned. */
  constructor(
    private readonly merged: LayeredDir, private readonly whiteoutFiles: boolean,
    private readonly parent?: UpperTarget, private readonly name?: string,
  ) {}

  lookup(name: string): Stats | undefined {
    return this.merged.lookup(name)?.stat;
  }

  writable(): DirFd {
    if (this.upper) return this.upper;
    const top = this.merged.layer(0);
    if (top) return (this.upper = top.dir);
    // Copy-up: the directory exists only in the image's layers.
    const parentDir = this.parent!.writable();
    const name = this.name!;
    const source = this.parent!.merged.lookup(name)!;
    parentDir.mkdir(name, 0o700);
    const dir = parentDir.openDir(name);
    copyXattrs(source.dir, name, dir, undefined);
    try { dir.fchown(source.stat.uid, source.stat.gid); } catch {}
    dir.fchmod(source.stat.mode & 0o7777);
    dir.futimes(source.stat.atimeMs / 1000, source.stat.mtimeMs / 1000);
    this.merged.layers.unshift({ index: 0, dir, whiteoutFiles: this.whiteoutFiles });
    return (this.upper = dir);
  }

  prepare(name: string): { dir: DirFd; hidesBelow: boolean } {
    const dir = this.writable();
    let hidesBelow = false;
    const st = dir.lstat(name);
    if (st && isWhiteoutStat(st)) {
      dir.unlink(name);
      hidesBelow = true;
    } else if (st && !st.isDirectory()) {
      dir.unlink(name);
    }
    if (this.whiteoutFiles && dir.lstat(WHITEOUT_PREFIX + name)) {
      dir.unlink(WHITEOUT_PREFIX + name);
      hidesBelow = true;
    }
    return { dir, hidesBelow };
  }

  child(name: string): TargetDir {
    return new UpperTarget(this.merged.openChild(name), this.whiteoutFiles, this, name);
  }

  writableFile(name: string): DirFd {
    const dir = this.writable();
    const st = dir.lstat(name);
    if (st && !isWhiteoutStat(st)) return dir;
    const source = this.merged.lookup(name);
    if (!source) throw new RrError(`${name}: no such file`);
    const st0 = source.stat;
    if (st0.isSymbolicLink()) {
      dir.symlink(name, source.dir.readlink(name));
      try { dir.lchown(name, st0.uid, st0.gid); } catch {}
    } else {
      const from = source.dir.openRead(name);
      if (!from) throw new RrError(`${name}: not a regular file`);
      const to = dir.create(name);
      try {
        const buf = Buffer.allocUnsafe(1 << 20);
        for (let n; (n = readSync(from.fd, buf, 0, buf.length, null)) > 0;) {
          for (let off = 0; off < n;) off += writeSync(to, buf, off, n - off);
        }
        try { fchownSync(to, st0.uid, st0.gid); } catch {}
        fchmodSync(to, st0.mode & 0o7777);
        futimesSync(to, st0.atime, st0.mtime);
      } finally {
        closeSync(from.fd);
        closeSync(to);
      }
    }
    copyXattrs(source.dir, name, dir, name);
    return dir;
  }

  close(): void {
    this.merged.close();
  }
}

/** The file's own extended attributes (never overlayfs's bookkeeping), best effort. */
function copyXattrs(from: DirFd, fromName: string, to: DirFd, toName: string | undefined): void {
  for (const x of from.listxattr(fromName)) {
    if (isOverlayXattr(x)) continue;
    const v = from.getxattr(fromName, x);
    try { if (v) to.setxattr(toName, x, v); } catch {}
  }
}
