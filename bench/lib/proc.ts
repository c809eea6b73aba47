/**
 * Reading other processes from /proc (as root): memory from smaps_rollup,
 * parent and children, and which processes carry a marker string (the
 * benchmark's temp dir) in their environment or command line, so a
 * benchmark finds what it started among everything else on the machine.
 */
import { readdirSync, readFileSync } from "node:fs";

export interface ProcMemory {
  /** resident set: every page mapped and present, shared or not */
  rssKb: number;
  /** proportional set: each shared page divided by the number of processes mapping it */
  pssKb: number;
  /** unique set: Private_Clean + Private_Dirty, what ending the process frees */
  ussKb: number;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined; // gone, or a kernel thread
  }
}

export function procMemory(pid: number): ProcMemory | undefined {
  const text = read(`/proc/${pid}/smaps_rollup`);
  if (!text) return undefined;
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? NaN);
  const m = { rssKb: kb("Rss"), pssKb: kb("Pss"), ussKb: kb("Private_Clean") + kb("Private_Dirty") };
  return Object.values(m).every(Number.isFinite) ? m : undefined;
}

/** The stat fields after the command name (which may hold spaces and parentheses). */
function statFields(pid: number): string[] | undefined {
  const text = read(`/proc/${pid}/stat`);
  return text ? text.slice(text.lastIndexOf(")") + 2).split(" ") : undefined;
}

export function parentPid(pid: number): number | undefined {
  const f = statFields(pid);
  return f ? Number(f[1]) : undefined;
}

/** Start time in clock ticks since boot: with the pid, it names one process for good. */
export function startTime(pid: number): number | undefined {
  const f = statFields(pid);
  return f ? Number(f[19]) : undefined;
}

export function childrenOf(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  return tasks.flatMap((t) => (read(`/proc/${pid}/task/${t}/children`) ?? "").trim().split(" ").filter(Boolean).map(Number));
}

export function commandLine(pid: number): string {
  return (read(`/proc/${pid}/cmdline`) ?? "").split("\0").filter(Boolean).join(" ");
}

export function commName(pid: number): string {
  return (read(`/proc/${pid}/comm`) ?? "").trim();
}

/** Running or sleeping: a zombie is not (where PID 1 does not reap, exited helpers linger as zombies). */
export function alive(pid: number): boolean {
  const stat = read(`/proc/${pid}/stat`);
  return stat !== undefined && stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
}

/** Live processes whose environment or command line contains `marker`. */
export function pidsMarkedBy(marker: string): number[] {
  const pids = readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map(Number);
  return pids.filter((pid) => pid !== process.pid &&
    ((read(`/proc/${pid}/environ`) ?? "").includes(marker) || commandLine(pid).includes(marker)));
}

/**
 * SIGKILL for a process this benchmark started, only if it is still that
 * process (same start time): a pid reused by someone else is left alone.
 */
export function killStarted(pid: number, started: number | undefined): void {
  if (started === undefined || startTime(pid) !== started) return;
  try {
    process.kill(pid, "SIGKILL");
  } catch { /* already gone */ }
}
