/**
 * Starts a detached container under its monitor (ffi/monitor.c): rr hands
 * the monitor the plan, the monitor clones the container, rr maps its ids
 * and places it in its cgroup while it waits, then learns whether execve
 * succeeded and leaves. The protocol is described at the top of monitor.c.
 */
import { encodePlan, type Plan } from "./plan-encoder.ts";
import type { Identity } from "./identity.ts";
import type { JoinNamespaces } from "./launch.ts";
import { writeIdMaps } from "./idmap-writer.ts";
import { describeSetupFailure } from "./setup-error.ts";
import type { RestartPolicy } from "../store/container-store.ts";
import { RrError, SyscallError } from "../errors.ts";

export interface MonitoredLaunchRequest {
  monitor: string;
  containerDir: string;
  plan: Plan;
  cloneFlags: number;
  identity: Identity;
  /** Existing namespaces the container joins (see launch.ts). */
  join?: JoinNamespaces;
  /** The write end of a lifeline pipe the monitor keeps until it exits (see monitor.c -L). */
  lifeline?: number;
  tty: boolean;
  keepStdin: boolean;
  restart: RestartPolicy;
  restartCount: number;
  autoRemove: boolean;
  /** rr itself and its store, for the monitor's restarts and --rm; absent when running from source. */
  rr?: { path: string; root: string };
  cgroupPaths: string[];
  /** While the child waits: join cgroups, mount fuse; returns a helper pid to end with the container. */
  beforeRelease?(pid: number): number | undefined;
  /** Connects attach clients before the container's first output (`start -a`). */
  attach?(): Promise<void>;
}

export interface MonitoredLaunch {
  pid: number;
  monitorPid: number;
}

function monitorArgs(r: MonitoredLaunchRequest): string[] {
  const args = ["-p", r.restart.name, "-m", String(r.restart.maximumRetryCount), "-n", String(r.restartCount)];
  if (r.tty) args.push("-t");
  if (r.keepStdin) args.push("-i");
  if (r.autoRemove) args.push("-R");
  if (r.rr) args.push("-x", r.rr.path, "-g", r.rr.root);
  for (const c of r.cgroupPaths) args.push("-c", c);
  if (r.join?.user) args.push("-U", r.join.user);
  if (r.join?.net) args.push("-N", r.join.net);
  if (r.lifeline !== undefined) args.push("-L");
  return [r.monitor, ...args, r.containerDir];
}

/** Reads exact byte counts from the monitor's stdout stream. */
class ExactReader {
  private buf = new Uint8Array(0);
  private reader: ReadableStreamDefaultReader<Uint8Array>;
  constructor(stream: ReadableStream<Uint8Array>) {
    this.reader = stream.getReader();
  }
  async read(n: number): Promise<DataView> {
    while (this.buf.length < n) {
      const { value, done } = await this.reader.read();
      if (done) throw new RrError("the container monitor exited before the container started", { hint: "Run the container in the foreground to see why." });
      const next = new Uint8Array(this.buf.length + value.length);
      next.set(this.buf);
      next.set(value, this.buf.length);
      this.buf = next;
    }
    const out = this.buf.slice(0, n);
    this.buf = this.buf.slice(n);
    return new DataView(out.buffer);
  }
  release(): void {
    this.reader.releaseLock();
  }
}

export async function launchMonitored(req: MonitoredLaunchRequest): Promise<MonitoredLaunch> {
  const plan = encodePlan(req.plan);
  const stdio = ["pipe", "pipe", "inherit", ...(req.lifeline !== undefined ? [req.lifeline] : [])] as const;
  const proc = Bun.spawn(monitorArgs(req), { stdio: stdio as unknown as ["pipe", "pipe", "inherit"] });
  const out = new ExactReader(proc.stdout);
  const header = new DataView(new ArrayBuffer(12));
  header.setUint32(0, plan.length, true);
  header.setBigUint64(4, BigInt(req.cloneFlags), true);
  proc.stdin.write(new Uint8Array(header.buffer));
  proc.stdin.write(plan);
  await proc.stdin.flush();

  const pid = (await out.read(4)).getInt32(0, true);
  if (pid < 0) throw new SyscallError("clone", -pid);
  const go = new DataView(new ArrayBuffer(8));
  try {
    if (!req.join?.user) writeIdMaps(req.identity, pid); // a joined user namespace has its maps
    go.setInt32(4, req.beforeRelease?.(pid) ?? 0, true);
    await req.attach?.();
  } catch (err) {
    proc.stdin.write(new Uint8Array(go.buffer)); // go = 0: the monitor kills the child
    await proc.stdin.end();
    await proc.exited;
    throw err;
  }
  go.setInt32(0, 1, true);
  proc.stdin.write(new Uint8Array(go.buffer));
  await proc.stdin.flush();
  const result = await out.read(12);
  const [status, step, errno] = [result.getInt32(0, true), result.getInt32(4, true), result.getInt32(8, true)];
  await proc.stdin.end();
  out.release();
  if (status === 1) throw describeSetupFailure(req.plan, step, errno);
  if (status < 0) throw new SyscallError("read the container's setup status", -status);
  proc.unref();
  return { pid, monitorPid: proc.pid };
}
