/**
 * Typed wrappers for the few libc calls Node's fs lacks (flock, xattrs,
 * mknod). Loaded on first use so commands that need none of them pay nothing.
 */
import { dlopen, FFIType, ptr, read, type Pointer } from "bun:ffi";
import { SyscallError } from "../errors.ts";

const defs = {
  flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  lsetxattr: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i32 },
  lgetxattr: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.u64], returns: FFIType.i64 },
  llistxattr: { args: [FFIType.ptr, FFIType.ptr, FFIType.u64], returns: FFIType.i64 },
  mknod: { args: [FFIType.ptr, FFIType.u32, FFIType.u64], returns: FFIType.i32 },
  geteuid: { args: [], returns: FFIType.u32 },
  pipe2: { args: [FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  getegid: { args: [], returns: FFIType.u32 },
  __errno_location: { args: [], returns: FFIType.ptr },
} as const;

let lib: ReturnType<typeof dlopen<typeof defs>> | undefined;
function libc() {
  lib ??= dlopen("libc.so.6", defs);
  return lib.symbols;
}

export function errno(): number {
  return read.i32(libc().__errno_location() as Pointer, 0);
}

/** NUL-terminated UTF-8 for passing a path to C. */
export function cstr(s: string): Buffer {
  return Buffer.from(s + "\0", "utf8");
}

export const LOCK_SH = 1;
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;

/** flock(2); returns false only for LOCK_NB when the lock is held elsewhere. */
export function flock(fd: number, op: number, path?: string): boolean {
  for (;;) {
    if (libc().flock(fd, op) === 0) return true;
    const e = errno();
    if (e === 4) continue; // EINTR
    if (e === 11 && op & LOCK_NB) return false;
    throw new SyscallError("flock", e, path);
  }
}

export function lsetxattr(path: string, name: string, value: Uint8Array): void {
  const v = value.length ? value : new Uint8Array(1);
  if (libc().lsetxattr(ptr(cstr(path)), ptr(cstr(name)), ptr(v), value.length, 0) !== 0) {
    throw new SyscallError(`setxattr ${name}`, errno(), path);
  }
}

export function lgetxattr(path: string, name: string): Uint8Array | undefined {
  const buf = new Uint8Array(65536);
  const n = Number(libc().lgetxattr(ptr(cstr(path)), ptr(cstr(name)), ptr(buf), buf.length));
  if (n < 0) {
    const e = errno();
    if (e === 61 /* ENODATA */) return undefined;
    throw new SyscallError(`getxattr ${name}`, e, path);
  }
  return buf.slice(0, n);
}

export function llistxattr(path: string): string[] {
  const buf = new Uint8Array(65536);
  const n = Number(libc().llistxattr(ptr(cstr(path)), ptr(buf), buf.length));
  if (n < 0) throw new SyscallError("listxattr", errno(), path);
  return new TextDecoder().decode(buf.subarray(0, n)).split("\0").filter(Boolean);
}

export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;

export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major), mi = BigInt(minor);
  return ((ma & 0xfffn) << 8n) | ((ma & ~0xfffn) << 32n) | (mi & 0xffn) | ((mi & ~0xffn) << 12n);
}

export function mknod(path: string, mode: number, dev: bigint = 0n): void {
  if (libc().mknod(ptr(cstr(path)), mode, dev) !== 0) throw new SyscallError("mknod", errno(), path);
}

export function geteuid(): number {
  return libc().geteuid();
}
export function getegid(): number {
  return libc().getegid();
}

const O_CLOEXEC = 0o2000000;

/** A pipe whose ends rr does not pass on by accident (close-on-exec): [read, write]. */
export function cloexecPipe(): [number, number] {
  const fds = new Int32Array(2);
  if (libc().pipe2(ptr(fds), O_CLOEXEC) !== 0) throw new SyscallError("pipe", errno());
  return [fds[0]!, fds[1]!];
}
