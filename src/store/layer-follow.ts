/**
 * A layer blob still being downloaded into its staging file, unpacked while
 * it grows: the reader follows the file and stops only when the downloader
 * says how long it is and that its digest and size checked out (`finish`),
 * or fails the moment it says the download failed (`fail`). The blob never
 * counts as read to its end before that verdict, so a layer extracted from it
 * is verified against both the blob digest and its diffId.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { RrError } from "../errors.ts";

const POLL_MS = 10;

export class GrowingBlob {
  size?: number;
  failed?: unknown;
  private waiters: (() => void)[] = [];
  private listeners: ((size: number | undefined, err?: unknown) => void)[] = [];

  get settled(): boolean {
    return this.size !== undefined || this.failed !== undefined;
  }

  /** The download completed: `size` bytes, digest and size verified. */
  finish(size: number): void {
    if (this.settled) return;
    this.size = size;
    this.wake();
  }

  /** The download failed: whatever was read from the file is worthless. */
  fail(err?: unknown): void {
    if (this.settled) return;
    this.failed = err ?? new RrError("download failed");
    this.wake();
  }

  /** Calls `cb` once the verdict is known (at once if it is already). */
  onSettled(cb: (size: number | undefined, err?: unknown) => void): void {
    if (this.settled) cb(this.size, this.failed);
    else this.listeners.push(cb);
  }

  /** Resolves on the verdict or after `ms`, whichever comes first. */
  wait(ms: number): Promise<void> {
    if (this.settled) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() { clearTimeout(timer); self.waiters = self.waiters.filter((w) => w !== done); resolve(); }
      this.waiters.push(done);
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
    for (const l of this.listeners.splice(0)) l(this.size, this.failed);
  }
}

function downloadFailed(): RrError {
  return new RrError("unpacking aborted: the layer download failed", { code: "ABORTED" });
}

/** Waits for the verdict; throws unless the download succeeded. */
export async function awaitVerdict(blob: GrowingBlob, aborted?: () => boolean): Promise<number> {
  while (!blob.settled) {
    if (aborted?.()) throw new RrError("unpacking aborted", { code: "ABORTED" });
    await blob.wait(50);
  }
  if (blob.failed !== undefined) throw downloadFailed();
  return blob.size!;
}

/** Reads `path` while it is written, up to the size the verdict gives. */
export async function* readGrowingFile(path: string, blob: GrowingBlob, aborted?: () => boolean): AsyncGenerator<Uint8Array> {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    // A failed download removes its file: say why rather than ENOENT.
    await awaitVerdict(blob, aborted);
    throw new RrError(`reading ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    let offset = 0;
    for (;;) {
      if (blob.failed !== undefined) throw downloadFailed();
      if (aborted?.()) throw new RrError("unpacking aborted", { code: "ABORTED" });
      const end = blob.size ?? fstatSync(fd).size;
      const want = Math.min(1 << 20, end - offset);
      if (blob.size !== undefined && want <= 0) return;
      if (want > 0) {
        const buf = Buffer.allocUnsafe(want);
        const n = readSync(fd, buf, 0, want, offset);
        if (n > 0) {
          offset += n;
          yield n === want ? buf : buf.subarray(0, n);
          continue;
        }
      }
      if (blob.size !== undefined) throw new RrError(`reading ${path}: ended at ${offset} of ${blob.size} bytes`);
      await blob.wait(POLL_MS);
    }
  } finally {
    closeSync(fd);
  }
}
