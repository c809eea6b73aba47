/**
 * Crash-safe writes (DESIGN invariant 5): write to a temporary name in the
 * same directory, fsync, rename. A reader sees the old file or the new one.
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

let counter = 0;

/** A temporary name beside `path`, unique to this process. */
export function tempNameFor(path: string): string {
  return join(dirname(path), `.tmp-${process.pid}-${++counter}-${basename(path)}`);
}

export function writeFileAtomic(path: string, data: string | Uint8Array, opts: { mode?: number; fsync?: boolean } = {}): void {
  const tmp = tempNameFor(path);
  const fd = openSync(tmp, "wx", opts.mode ?? 0o644);
  try {
    const bytes = typeof data === "string" ? Buffer.from(data) : data;
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    if (opts.fsync !== false) fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    try { unlinkSync(tmp); } catch {}
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (err) {
    try { unlinkSync(tmp); } catch {}
    throw err;
  }
}

export function writeJsonAtomic(path: string, value: unknown, opts: { mode?: number; fsync?: boolean } = {}): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n", opts);
}
