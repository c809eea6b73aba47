/**
 * openat(2) for a runtime that has none: every operation names an entry
 * relative to an open directory fd, through `/proc/self/fd/N/NAME`. The
 * kernel follows only the magic link (to the directory we hold) and then
 * looks NAME up in that directory; with O_NOFOLLOW or an l* call nothing
 * else is followed. So a container that swaps a directory for a symlink
 * while rr walks its files (CVE-2018-15664) can make an operation fail,
 * never make it reach a host path.
 */
import {
  closeSync, constants, fchmodSync, fchownSync, fstatSync, futimesSync, lchownSync, linkSync, lstatSync, lutimesSync,
  mkdirSync, openSync, readdirSync, readlinkSync, rmdirSync, symlinkSync, unlinkSync, type Stats,
} from "node:fs";
import { RrError, strerror } from "../../errors.ts";
import { lgetxattr, llistxattr, lsetxattr, mknod } from "../../sys/libc.ts";

/** Not in node's constants: an fd that names an inode without opening it. */
const O_PATH = 0o10000000;

export function errnoCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException)?.code;
}

/** A file system error without the /proc/self/fd path it was raised on: "Read-only file system". */
export function plainCause(err: unknown): unknown {
  const errno = (err as NodeJS.ErrnoException)?.errno;
  return typeof errno === "number" && !(err instanceof RrError) ? new Error(strerror(Math.abs(errno))) : err;
}

/** One path component: never empty, `.`, `..` or containing a slash. */
export function checkName(name: string): string {
  if (name === "" || name === "." || name === ".." || name.includes("/") || name.includes("\0")) {
    throw new RrError(`invalid file name ${JSON.stringify(name)}`);
  }
  return name;
}

export function isWhiteoutStat(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

/** Directory names sorted by their bytes, as Go's filepath.Walk (and so Docker) orders them. */
export function sortNames(names: string[]): string[] {
  return names.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

export class DirFd {
  private closed = false;
  private constructor(readonly fd: number) {}

  /** Opens a trusted host path (a store directory, /proc/PID/root) as a directory. */
  static open(path: string): DirFd {
    return new DirFd(openSync(path, constants.O_RDONLY | constants.O_DIRECTORY));
  }

  /** The path the kernel resolves relative to this directory without following NAME. */
  at(name: string): string {
    return `/proc/self/fd/${this.fd}/${checkName(name)}`;
  }

  /** This directory itself (for calls that follow the magic link; l* calls need `${self}/.`). */
  get self(): string {
    return `/proc/self/fd/${this.fd}`;
  }

  lstat(name: string): Stats | undefined {
    try {
      return lstatSync(this.at(name));
    } catch (err) {
      if (errnoCode(err) === "ENOENT" || errnoCode(err) === "ENOTDIR") return undefined;
      throw err;
    }
  }

  stat(): Stats {
    return fstatSync(this.fd);
  }

  /** The directory NAME; fails (ENOTDIR/ELOOP) if it is anything else, a symlink included. */
  openDir(name: string): DirFd {
    return new DirFd(openSync(this.at(name), constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW));
  }

  list(): string[] {
    return sortNames(readdirSync(this.self));
  }

  readlink(name: string): string {
    return readlinkSync(this.at(name));
  }

  /**
   * Opens NAME for reading only if it is a regular file: an O_PATH handle is
   * checked first, so a FIFO or a device is never opened (no blocking, no
   * side effects), then reopened through its own magic link.
   */
  openRead(name: string): { fd: number; stat: Stats } | undefined {
    const path = openSync(this.at(name), O_PATH | constants.O_NOFOLLOW);
    try {
      const st = fstatSync(path);
      if (!st.isFile()) return undefined;
      return { fd: openSync(`/proc/self/fd/${path}`, constants.O_RDONLY), stat: st };
    } finally {
      closeSync(path);
    }
  }

  /** A new regular file (never through an existing name or symlink). */
  create(name: string, mode = 0o600): number {
    return openSync(this.at(name), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  }

  mkdir(name: string, mode = 0o755): void {
    mkdirSync(this.at(name), mode);
  }

  symlink(name: string, target: string): void {
    symlinkSync(target, this.at(name));
  }

  /** A hard link NAME to FROM/FROMNAME; link(2) does not follow FROMNAME. */
  link(name: string, from: DirFd, fromName: string): void {
    linkSync(from.at(fromName), this.at(name));
  }

  mknod(name: string, mode: number, dev: bigint = 0n): void {
    mknod(this.at(name), mode, dev);
  }

  unlink(name: string): void {
    unlinkSync(this.at(name));
  }

  /** Removes NAME whatever it is; a directory with everything in it, never following a symlink. */
  remove(name: string): void {
    const st = this.lstat(name);
    if (!st) return;
    if (!st.isDirectory()) return this.unlink(name);
    const child = this.openDir(name);
    try {
      for (const n of child.list()) child.remove(n);
    } finally {
      child.close();
    }
    rmdirSync(this.at(name));
  }

  lchown(name: string, uid: number, gid: number): void {
    lchownSync(this.at(name), uid, gid);
  }

  lutimes(name: string, atime: number, mtime: number): void {
    lutimesSync(this.at(name), atime, mtime);
  }

  /** Owner, mode and times of this directory itself. */
  fchown(uid: number, gid: number): void {
    fchownSync(this.fd, uid, gid);
  }
  fchmod(mode: number): void {
    fchmodSync(this.fd, mode);
  }
  futimes(atime: number, mtime: number): void {
    futimesSync(this.fd, atime, mtime);
  }

  getxattr(name: string | undefined, attr: string): Uint8Array | undefined {
    try {
      return lgetxattr(name === undefined ? `${this.self}/.` : this.at(name), attr);
    } catch {
      return undefined; // trusted.* is invisible without privilege; no xattr support means none
    }
  }

  listxattr(name: string | undefined): string[] {
    try {
      return llistxattr(name === undefined ? `${this.self}/.` : this.at(name));
    } catch {
      return [];
    }
  }

  setxattr(name: string | undefined, attr: string, value: Uint8Array): void {
    lsetxattr(name === undefined ? `${this.self}/.` : this.at(name), attr, value);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}
