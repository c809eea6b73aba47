/**
 * Where a tar stream goes: standard output (waiting out EAGAIN, should it be
 * a non-blocking pipe) or a file that appears only once it is complete
 * (written beside it, fsynced, renamed), so a failed `export -o` leaves
 * nothing behind.
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { RrError, SilentExit } from "../../errors.ts";
import { plainCause } from "./dir-fd.ts";

export type ChunkWriter = (chunk: Uint8Array) => void;

export function blockingWriter(fd: number): ChunkWriter {
  return (chunk) => {
    let off = 0;
    while (off < chunk.length) {
      try {
        off += writeSync(fd, chunk, off, chunk.length - off);
      } catch (err) {
        // The reader went away (`rr export c | head`): nothing to report, as a shell pipeline expects.
        if ((err as NodeJS.ErrnoException).code === "EPIPE") throw new SilentExit(1);
        if ((err as NodeJS.ErrnoException).code !== "EAGAIN") throw err;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
      }
    }
  };
}

export async function writeFileAtomically(path: string, fill: (write: ChunkWriter) => Promise<void>): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.rr-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  let fd: number;
  try {
    fd = openSync(tmp, "wx", 0o644);
  } catch (err) {
    throw new RrError(`cannot write "${path}"`, { cause: plainCause(err), hint: "Check that its directory exists and is writable." });
  }
  let ok = false;
  try {
    await fill(blockingWriter(fd));
    fsyncSync(fd);
    ok = true;
  } finally {
    closeSync(fd);
    if (!ok) try { unlinkSync(tmp); } catch {}
  }
  try {
    renameSync(tmp, path);
  } catch (err) {
    try { unlinkSync(tmp); } catch {}
    throw new RrError(`cannot write "${path}"`, { cause: plainCause(err) });
  }
}
