/**
 * A container in the foreground: stdio passes straight through (the child
 * inherited rr's fds), or a pty is proxied for -t; the result is the
 * container's exit code.
 */
import { writeSync } from "node:fs";
import tty from "node:tty";
import { getWinsize, setWinsize } from "../sys/core.ts";
import type { Launched } from "./launch.ts";

export function terminalSize(): { rows: number; cols: number } | undefined {
  return getWinsize(1) ?? getWinsize(0);
}

/** Waits for the container, proxying its pty if it has one. Signals are the SignalForwarder's job. */
export async function attachForeground(c: Launched, opts: { interactive: boolean }): Promise<number> {
  let restore = () => {};
  let drained: Promise<void> = Promise.resolve();
  if (c.ptyMaster !== undefined) ({ restore, drained } = proxyPty(c.ptyMaster, opts.interactive, c.pid));
  try {
    const code = await c.exited;
    await Promise.race([drained, Bun.sleep(500)]);
    return code;
  } finally {
    restore();
  }
}

function proxyPty(master: number, interactive: boolean, pid: number): { restore(): void; drained: Promise<void> } {
  const out = new tty.ReadStream(master);
  const drained = new Promise<void>((resolve) => {
    out.on("error", () => resolve()); // EIO: the slave side closed
    out.on("end", () => resolve());
    out.on("close", () => resolve());
  });
  out.on("data", (chunk) => process.stdout.write(chunk));
  const stdin = process.stdin;
  const raw = interactive && stdin.isTTY;
  if (raw) stdin.setRawMode(true);
  const onInput = (chunk: Buffer) => writeAll(master, chunk);
  // Our terminal went away. Nothing outlives rr (no daemon keeps the
  // container), so hang up the container's terminal too, and if its PID 1
  // ignores that (as a shell as PID 1 does), end it after a grace period.
  let hungUp = false;
  const onHangup = () => {
    if (hungUp) return;
    hungUp = true;
    out.destroy();
    setTimeout(() => { try { process.kill(pid, "SIGKILL"); } catch {} }, 2000).unref();
  };
  const onResize = () => {
    const size = terminalSize();
    if (size) setWinsize(master, size.rows, size.cols);
  };
  const stdinEvents = [["data", onInput], ["end", onHangup], ["error", onHangup]] as const;
  process.on("SIGHUP", onHangup);
  process.on("SIGWINCH", onResize);
  if (interactive) {
    for (const [event, fn] of stdinEvents) stdin.on(event, fn);
    stdin.resume();
  }
  return {
    drained,
    restore() {
      process.off("SIGWINCH", onResize);
      process.off("SIGHUP", onHangup);
      if (interactive) {
        for (const [event, fn] of stdinEvents) stdin.off(event, fn);
        stdin.pause();
      }
      if (raw) stdin.setRawMode(false);
      out.destroy();
    },
  };
}

/** The master may be non-blocking (the tty stream set it so): retry EAGAIN. */
function writeAll(fd: number, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) {
    try {
      off += writeSync(fd, data, off, data.length - off);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EAGAIN") return; // the container is gone
      Bun.sleepSync(1);
    }
  }
}
