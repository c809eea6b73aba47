/**
 * Blocking writes to stdout. process.stdout.write to a pipe is asynchronous
 * in Bun and rr ends with process.exit(): whatever the pipe had not taken
 * yet (past its 64 KiB, or more with a slow reader) would be lost.
 */
import { writeSync } from "node:fs";

export function writeAllSync(fd: number, data: string | Uint8Array): void {
  const bytes = typeof data === "string" ? Buffer.from(data) : data;
  let off = 0;
  while (off < bytes.length) {
    try {
      off += writeSync(fd, bytes, off, bytes.length - off);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EPIPE") return; // the reader is gone (`| head`): nobody wants the rest
      // a non-blocking stdout (set so by whoever shares it): wait for room
      if (code !== "EAGAIN") throw err;
      Bun.sleepSync(1);
    }
  }
}
