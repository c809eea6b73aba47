/**
 * The client side of a monitor's attach socket (frames: [u8 type][u32 len]
 * [data]; see ffi/monitor.c): the container's stdout and stderr to ours,
 * our stdin to it, terminal size changes, Docker's detach keys (Ctrl-P
 * Ctrl-Q) on a terminal.
 */
import { closeSync, openSync } from "node:fs";
import { join } from "node:path";
import { createConnection, type Socket } from "node:net";
import { getWinsize } from "../sys/core.ts";
import { CONTAINER_FILES } from "../store/container-store.ts";
import { RrError } from "../errors.ts";
import { writeAllSync } from "./write-sync.ts";

const T = { stdin: 0, stdout: 1, stderr: 2, resize: 3, stdinEof: 4 } as const;
const DETACH = Buffer.from([0x10, 0x11]); // Ctrl-P Ctrl-Q

function frame(type: number, data: Uint8Array): Buffer {
  const head = Buffer.alloc(5);
  head[0] = type;
  head.writeUInt32LE(data.length, 1);
  return Buffer.concat([head, data]);
}

/** Connects to the container's monitor; sun_path is short, so a deep store goes through /proc/self/fd. */
export async function connectAttach(dir: string): Promise<Socket> {
  let dirFd: number | undefined;
  let path = join(dir, CONTAINER_FILES.attach);
  if (path.length > 100) {
    dirFd = openSync(dir, "r");
    path = `/proc/self/fd/${dirFd}/${CONTAINER_FILES.attach}`;
  }
  try {
    return await new Promise<Socket>((resolve, reject) => {
      const s = createConnection({ path }, () => resolve(s));
      s.once("error", (err) => reject(new RrError(`cannot attach: ${err.message}`, { hint: "Is the container running (rr ps)?" })));
    });
  } finally {
    if (dirFd !== undefined) closeSync(dirFd);
  }
}

export interface AttachOptions {
  stdin: boolean;
  tty: boolean;
  /** Signals rr receives go to this pid (non-terminal attach, as Docker's --sig-proxy). */
  proxySignalsTo?: number;
  /** Where the container's stdout and stderr go (default: ours, fds 1 and 2); null drops them. */
  output?: { stdout: number; stderr: number } | null;
}

/** Pumps until the monitor closes the socket ("exited") or the user detaches ("detached"). */
export function pumpAttach(sock: Socket, opts: AttachOptions): Promise<"exited" | "detached"> {
  return new Promise((resolve) => {
    let pending: Buffer = Buffer.alloc(0);
    const cleanups: (() => void)[] = [];
    const done = (how: "exited" | "detached") => {
      for (const c of cleanups) c();
      sock.destroy();
      resolve(how);
    };
    sock.on("data", (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= 5) {
        const len = pending.readUInt32LE(1);
        if (pending.length < 5 + len) break;
        const data = pending.subarray(5, 5 + len);
        if (opts.output !== null) {
          const fds = opts.output ?? { stdout: 1, stderr: 2 };
          writeAllSync(pending[0] === T.stderr ? fds.stderr : fds.stdout, data);
        }
        pending = pending.subarray(5 + len);
      }
    });
    sock.on("close", () => done("exited"));
    sock.on("error", () => done("exited"));

    const stdin = process.stdin;
    if (opts.stdin) {
      const raw = opts.tty && stdin.isTTY;
      if (raw) {
        stdin.setRawMode(true);
        cleanups.push(() => stdin.setRawMode(false));
      }
      const onData = (chunk: Buffer) => {
        if (raw && chunk.includes(DETACH)) return done("detached");
        sock.write(frame(T.stdin, chunk));
      };
      const onEnd = () => sock.write(frame(T.stdinEof, new Uint8Array(0)));
      stdin.on("data", onData);
      stdin.on("end", onEnd);
      cleanups.push(() => { stdin.off("data", onData); stdin.off("end", onEnd); stdin.pause(); });
    }
    if (opts.tty) {
      const resize = () => {
        const size = getWinsize(1) ?? getWinsize(0);
        if (!size) return;
        const b = Buffer.alloc(4);
        b.writeUInt16LE(size.rows, 0);
        b.writeUInt16LE(size.cols, 2);
        sock.write(frame(T.resize, b));
      };
      resize();
      process.on("SIGWINCH", resize);
      cleanups.push(() => process.off("SIGWINCH", resize));
    } else if (opts.proxySignalsTo !== undefined) {
      const pid = opts.proxySignalsTo;
      for (const sig of ["SIGINT", "SIGTERM", "SIGHUP", "SIGUSR1", "SIGUSR2"] as const) {
        const fwd = () => { try { process.kill(pid, sig); } catch {} };
        process.on(sig, fwd);
        cleanups.push(() => process.off(sig, fwd));
      }
    }
  });
}
