/**
 * Advisory locks (flock) on files under the store. A lock is held by an open
 * fd, so a killed process releases it: kill -9 never leaves a stale lock.
 */
import { closeSync, openSync } from "node:fs";
import { flock, LOCK_EX, LOCK_NB, LOCK_SH, LOCK_UN } from "../sys/libc.ts";
import { ConflictError } from "../errors.ts";

export class FileLock {
  private constructor(private fd: number, readonly path: string) {}

  static acquire(path: string, mode: "shared" | "exclusive" = "exclusive"): FileLock {
    const fd = openSync(path, "a", 0o644);
    try {
      flock(fd, mode === "shared" ? LOCK_SH : LOCK_EX, path);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    return new FileLock(fd, path);
  }

  /** Throws ConflictError instead of waiting when someone else holds it. */
  static tryAcquire(path: string, what: string): FileLock {
    const fd = openSync(path, "a", 0o644);
    if (!flock(fd, LOCK_EX | LOCK_NB, path)) {
      closeSync(fd);
      throw new ConflictError(`${what} is busy: another rr command holds its lock`);
    }
    return new FileLock(fd, path);
  }

  release(): void {
    if (this.fd < 0) return;
    try { flock(this.fd, LOCK_UN, this.path); } finally { closeSync(this.fd); this.fd = -1; }
  }
}

/** Runs fn with the lock held; releases it whatever happens. */
export function withLock<T>(path: string, fn: () => T, mode: "shared" | "exclusive" = "exclusive"): T {
  const lock = FileLock.acquire(path, mode);
  try {
    const out = fn();
    if (out instanceof Promise) {
      return out.finally(() => lock.release()) as T;
    }
    lock.release();
    return out;
  } catch (err) {
    lock.release();
    throw err;
  }
}
