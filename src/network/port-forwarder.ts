/**
 * Starts the published-port forwarder (`rr-monitor -F`, ffi/forward*.c):
 * it gets the bound host sockets, the target's namespace fds and a
 * lifeline, enters the namespaces, and relays until the lifeline's write
 * end is closed. Start-up waits for its "ok" so a failure to enter the
 * namespaces is an error here, not a silently dead helper.
 */
import { readSync } from "node:fs";
import { RrError } from "../errors.ts";
import { closeFd } from "../sys/sockets.ts";
import { cloexecPipe } from "../sys/libc.ts";
import { shownIp, type BoundPort } from "./ports.ts";

export interface ForwardTarget {
  /** The target's user namespace (rootless: the holder's or the container's); root mode: none. */
  userFd?: number;
  netFd: number;
  /** Where to connect inside the target's network namespace (the container's IP, or 127.0.0.1). */
  ip: string;
}

export interface ForwarderOptions {
  /** Path of the rr-monitor executable. */
  monitor: string;
  ports: BoundPort[];
  target: ForwardTarget;
  /** Read end of the lifeline pipe: the forwarder exits when every write end is closed. */
  lifelineFd: number;
  /** Relay with read()/write() instead of splice() (tests). */
  readWrite?: boolean;
  /** UDP flows (one per client address): dropped after idleMs, at most max of them (defaults 90 s, 4096). */
  udpFlows?: { idleMs?: number; max?: number };
}

/** The argv after the executable and the fds in child order (fd 3, 4, …). */
export function forwarderArgs(o: Omit<ForwarderOptions, "monitor">, statusFd?: number): { args: string[]; fds: number[] } {
  const fds: number[] = [];
  const child = (fd: number) => fds.push(fd) + 2; // index 0 becomes fd 3 in the child
  const args = ["-F", "-l", String(child(o.lifelineFd))];
  if (o.target.userFd !== undefined) args.push("-u", String(child(o.target.userFd)));
  args.push("-n", String(child(o.target.netFd)));
  if (statusFd !== undefined) args.push("-s", String(child(statusFd)));
  if (o.readWrite) args.push("-R");
  if (o.udpFlows?.idleMs) args.push("-i", String(o.udpFlows.idleMs));
  if (o.udpFlows?.max) args.push("-c", String(o.udpFlows.max));
  const ip = shownIp(o.target.ip);
  for (const p of o.ports) {
    args.push(p.spec.proto === "udp" ? "-U" : "-t", `${child(p.fd)}:${ip}:${p.spec.containerPort}`);
  }
  return { args, fds };
}

/**
 * Spawns the forwarder and returns its pid once it runs inside the
 * target's namespaces. The caller still owns (and should close) its copies
 * of the port, namespace and lifeline fds.
 */
export function startForwarder(o: ForwarderOptions): number {
  const [statusRead, statusWrite] = cloexecPipe();
  let proc: ReturnType<typeof Bun.spawn>;
  try {
    const { args, fds } = forwarderArgs(o, statusWrite);
    proc = Bun.spawn([o.monitor, ...args], { stdio: ["ignore", "ignore", "ignore", ...fds] });
  } catch (err) {
    closeFd(statusRead);
    throw new RrError("cannot start the port forwarder", { cause: err });
  } finally {
    closeFd(statusWrite);
  }
  const status = readAll(statusRead).trim();
  if (status !== "ok") {
    proc.kill(9);
    throw new RrError(`port forwarder: ${status || "exited at start"}`);
  }
  proc.unref();
  return proc.pid;
}

/** Reads a pipe to EOF (the forwarder closes it right after its one line). */
function readAll(fd: number): string {
  const buf = Buffer.alloc(512);
  let text = "";
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) return text;
      text += buf.toString("utf8", 0, n);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EAGAIN") return text;
    throw err;
  } finally {
    closeFd(fd);
  }
}
