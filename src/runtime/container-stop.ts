/**
 * Stopping, killing and waiting for containers without a daemon: the
 * container's PID 1 gets the signal; its monitor records the exit. A user
 * stop leaves a no-restart mark first, so no restart policy undoes it.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { signalNumber } from "./signals.ts";
import { thawContainer } from "./freezer.ts";
import {
  CONTAINER_FILES, containerDir, processStartTime, readContainer, readMonitorExit, updateContainer, type ContainerRecord,
} from "../store/container-store.ts";
import { processAlive } from "../store/process-alive.ts";
import { ConflictError } from "../errors.ts";

const DEFAULT_STOP_TIMEOUT = 10;

export function isLive(rec: ContainerRecord): boolean {
  return rec.state.status === "running" || rec.state.status === "paused" || rec.state.status === "restarting";
}

/** Whether the container's first process is still the one we started. */
function alive(rec: ContainerRecord): boolean {
  const pid = rec.state.pid;
  return pid !== undefined && processStartTime(pid) === rec.state.pidStart;
}

export function markNoRestart(root: string, id: string): void {
  try { writeFileSync(join(containerDir(root, id), CONTAINER_FILES.noRestart), ""); } catch {}
}

function signal(pid: number | undefined, sig: number | string): void {
  if (pid === undefined) return;
  try { process.kill(pid, sig); } catch {}
}

/** Polls until the process is gone; true if it went within the time. */
async function exitedWithin(rec: ContainerRecord, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (alive(rec)) {
    if (Date.now() >= end) return false;
    await Bun.sleep(10);
  }
  return true;
}

/**
 * The monitor writes exit.json right after the process is reaped; give it a
 * moment so the record shows the real status instead of a guess.
 */
async function settle(root: string, id: string, before: ContainerRecord): Promise<ContainerRecord> {
  const { pid, monitorPid } = before.state;
  for (let i = 0; i < 200; i++) {
    if (pid === undefined || monitorPid === undefined || !processAlive(monitorPid)) break; // nobody will write it
    if (readMonitorExit(root, id)?.pid === pid) break;
    await Bun.sleep(10);
  }
  return readContainer(root, id);
}

/** Ends a restart backoff: the monitor waiting to restart is told not to, then ended. */
function endMonitor(rec: ContainerRecord): void {
  signal(rec.state.monitorPid, "SIGKILL");
}

/** `rr stop`: the stop signal, then SIGKILL after the timeout. Stopping a stopped container is fine. */
export async function stopContainer(root: string, rec: ContainerRecord, opts: { timeout?: number; signal?: string } = {}): Promise<ContainerRecord> {
  if (!isLive(rec)) return rec;
  markNoRestart(root, rec.id);
  if (rec.state.status === "paused") {
    // a frozen process cannot act on its stop signal: kill it, then thaw so the kill is delivered (as Docker)
    signal(rec.state.pid, "SIGKILL");
    await thawContainer({ pid: rec.state.pid!, cgroupPaths: rec.cgroupPaths }).catch(() => {});
  } else if (alive(rec)) {
    const timeout = opts.timeout ?? rec.stopTimeout ?? DEFAULT_STOP_TIMEOUT;
    signal(rec.state.pid, signalNumber(opts.signal ?? rec.stopSignal ?? "SIGTERM"));
    if (!(await exitedWithin(rec, Math.max(0, timeout) * 1000))) signal(rec.state.pid, "SIGKILL");
  }
  await exitedWithin(rec, 10_000);
  return finish(root, rec);
}

/** `rr kill`: any signal; the stop-like ones also stop the restart policy, as Docker's manual stop. */
export async function killContainer(root: string, rec: ContainerRecord, sig: string): Promise<void> {
  if (rec.state.status !== "running" && rec.state.status !== "paused") {
    throw new ConflictError(`cannot kill container ${rec.name}: container is not running`);
  }
  const n = signalNumber(sig);
  if (n === 9 || n === 15 || (rec.stopSignal && n === signalNumber(rec.stopSignal))) markNoRestart(root, rec.id);
  if (rec.state.status === "paused" && n !== 9) {
    throw new ConflictError(`cannot kill container ${rec.name}: container is paused`, { hint: "Unpause it first, or kill it with SIGKILL." });
  }
  signal(rec.state.pid, n);
  if (rec.state.status === "paused") await thawContainer({ pid: rec.state.pid!, cgroupPaths: rec.cgroupPaths }).catch(() => {});
  if (n === 9) await exitedWithin(rec, 10_000);
}

/** After the process is gone: wait for the monitor's record, end a pending restart, store the final state. */
async function finish(root: string, before: ContainerRecord): Promise<ContainerRecord> {
  const id = before.id;
  const rec = await settle(root, id, before);
  if (rec.state.status === "restarting") endMonitor(rec);
  return updateContainer(root, id, (r) => ({
    ...r, state: { ...r.state, status: "exited", pid: undefined, monitorPid: undefined },
  }));
}

/** `rr wait`: resolves with the exit code once the container's process has exited (a restart may follow). */
export async function waitForStop(root: string, id: string): Promise<number> {
  let live: ContainerRecord | undefined;
  for (;;) {
    let rec = readContainer(root, id);
    if (rec.state.status === "exited" || rec.state.status === "restarting") {
      if (live) rec = await settle(root, id, live); // the monitor's record, not a guess
      return rec.state.exitCode ?? 0;
    }
    if (rec.state.status !== "created") live = rec;
    await Bun.sleep(20);
  }
}
