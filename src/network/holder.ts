/**
 * The network holder: one pause process per store whose network namespace
 * holds a bridge per rr network and slirp4netns' tap0 for egress. Rootless,
 * it also owns a user namespace that containers on networks join (a veth
 * cannot be moved into a sibling user namespace's netns: EPERM). It runs
 * under its own monitor (ffi/monitor.c), which keeps the lifeline that ends
 * slirp4netns when the holder goes. Started on demand, never by hand.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { launchMonitored } from "../runtime/monitored-launch.ts";
import { monitorExecutable } from "../runtime/monitor-binary.ts";
import type { Identity } from "../runtime/identity.ts";
import type { Plan } from "../runtime/plan-encoder.ts";
import { lastCap } from "../runtime/capabilities.ts";
import { CLONE } from "../sys/core.ts";
import { cloexecPipe } from "../sys/libc.ts";
import { withLock } from "../store/lock.ts";
import { writeJsonAtomic } from "../store/atomic.ts";
import { processStartTime } from "../store/container-store.ts";
import { detectEgress, startSlirp, SLIRP_DEVICE } from "./egress.ts";
import { setupHolderNat, type NsFds } from "./link-setup.ts";

export interface Holder {
  pid: number;
  /** /proc paths of its namespaces; no user namespace as root. */
  userNs?: string;
  netNs: string;
  /** The egress tool in its namespace, if any. */
  egress?: string;
  /** This call started it (the caller re-wires containers that outlived the one before). */
  started?: boolean;
}

interface HolderRecord {
  pid: number;
  pidStart: string;
  monitorPid: number;
  egress?: string;
}

export function holderDir(root: string): string {
  return join(root, "network-holder");
}

function readRecord(dir: string): HolderRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, "holder.json"), "utf8")) as HolderRecord;
  } catch {
    return undefined;
  }
}

function asHolder(pid: number, identity: Identity, egress?: string): Holder {
  return {
    pid, netNs: `/proc/${pid}/ns/net`, egress,
    userNs: identity.mode === "root" ? undefined : `/proc/${pid}/ns/user`,
  };
}

/** The running holder, if there is one (no start). */
export function runningHolder(root: string, identity: Identity): Holder | undefined {
  const r = readRecord(holderDir(root));
  return r && processStartTime(r.pid) === r.pidStart ? asHolder(r.pid, identity, r.egress) : undefined;
}

/** Opens a holder's (or any process's) namespaces for link-setup; close with closeNs. */
export function openNs(ns: { userNs?: string; netNs: string }): NsFds {
  const net = openSync(ns.netNs, "r");
  try {
    return { net, user: ns.userNs ? openSync(ns.userNs, "r") : undefined };
  } catch (err) {
    closeSync(net);
    throw err;
  }
}

export function closeNs(fds: NsFds): void {
  closeSync(fds.net);
  if (fds.user !== undefined) closeSync(fds.user);
}

function pausePlan(monitor: string): Plan {
  return {
    flags: ["stdinNull", "setsid", "loopbackUp"], ops: [], argv: [monitor, "-P"], env: [], execPath: monitor,
    uid: 0, gid: 0, groups: [], rlimits: [], capLastCap: lastCap(),
    caps: { bounding: 0n, effective: 0n, permitted: 0n, inheritable: 0n, ambient: 0n },
  };
}

/**
 * The holder, started if it is not running. userNs: a user namespace to start
 * it in instead of a new one (rootless: that of containers that outlived a
 * killed holder, so their network namespaces can take veths from the new one).
 */
export async function ensureHolder(
  root: string, identity: Identity, opts: { userNs?: string; env?: Record<string, string | undefined> } = {},
): Promise<Holder> {
  const env = opts.env ?? process.env;
  const userNs = identity.mode === "root" ? undefined : opts.userNs;
  const dir = holderDir(root);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return withLock(join(dir, "lock"), async () => {
    const running = runningHolder(root, identity);
    if (running) return running;
    const monitor = await monitorExecutable(root);
    const egress = detectEgress(env).tool;
    const [lifelineRead, lifelineWrite] = cloexecPipe();
    try {
      const launched = await launchMonitored({
        monitor, containerDir: dir, plan: pausePlan(monitor),
        cloneFlags: CLONE.NEWNET | CLONE.NEWNS | (identity.mode === "root" || userNs ? 0 : CLONE.NEWUSER),
        join: userNs ? { user: userNs } : undefined,
        identity, lifeline: lifelineWrite, tty: false, keepStdin: false,
        restart: { name: "no", maximumRetryCount: 0 }, restartCount: 0, autoRemove: false, cgroupPaths: [],
        beforeRelease: (pid) => {
          if (!egress) return undefined;
          startSlirp({ path: egress.path, pid, lifeline: lifelineRead, hostLoopback: env.RR_NETWORK_HOST_LOOPBACK === "1" });
          const fds = openNs(asHolder(pid, identity));
          try {
            setupHolderNat(fds, SLIRP_DEVICE); // containers behind the bridges leave through tap0, masqueraded
          } finally {
            closeNs(fds);
          }
          return undefined;
        },
      });
      const record: HolderRecord = {
        pid: launched.pid, pidStart: processStartTime(launched.pid) ?? "", monitorPid: launched.monitorPid, egress: egress?.name,
      };
      writeJsonAtomic(join(dir, "holder.json"), record);
      return { ...asHolder(record.pid, identity, record.egress), started: true };
    } finally {
      closeSync(lifelineRead);
      closeSync(lifelineWrite);
    }
  });
}

/** Ends the holder (its monitor and slirp4netns follow): for prune, when no running container needs it. */
export function stopHolder(root: string): boolean {
  const dir = holderDir(root);
  return withLock(join(dir, "lock"), () => {
    const r = readRecord(dir);
    if (!r || processStartTime(r.pid) !== r.pidStart) return false;
    process.kill(r.pid, "SIGKILL");
    rmSync(join(dir, "holder.json"), { force: true });
    return true;
  });
}
