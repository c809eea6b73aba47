/**
 * Readers for /proc/<pid>/stat and the system-wide counters beside it, as
 * plain data. Times are in clock ticks: /proc always reports USER_HZ,
 * which is 100 on every architecture Linux containers run on.
 */
import { readFileSync, readlinkSync } from "node:fs";

export const CLOCK_TICKS = 100;

export interface ProcStat {
  pid: number;
  comm: string;
  /** R S D T t Z X … */
  state: string;
  ppid: number;
  ttyNr: number;
  utime: number;
  stime: number;
  /** CPU of children this process waited for. */
  cutime: number;
  cstime: number;
  numThreads: number;
  /** Ticks after boot. */
  startTime: number;
}

/** One process's stat line; undefined once it is gone. */
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  return parseProcStat(text);
}

export function parseProcStat(text: string): ProcStat | undefined {
  // comm is in parentheses and may hold spaces and ")": the last ")" ends it
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) return undefined;
  const f = text.slice(close + 2).trim().split(" ");
  const n = (i: number) => Number(f[i] ?? 0);
  return {
    pid: Number(text.slice(0, open).trim()), comm: text.slice(open + 1, close), state: f[0] ?? "?",
    ppid: n(1), ttyNr: n(4), utime: n(11), stime: n(12), cutime: n(13), cstime: n(14), numThreads: n(17), startTime: n(19),
  };
}

/** Seconds since the epoch at boot (/proc/stat btime). */
export function bootTime(): number {
  const m = /^btime (\d+)$/m.exec(readFileSync("/proc/stat", "utf8"));
  return m ? Number(m[1]) : 0;
}

/** Seconds since boot. */
export function uptime(): number {
  return Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
}

/** Docker's system CPU usage: the first seven fields of /proc/stat's "cpu" line, in ns; and the online CPUs. */
export function systemCpu(): { ns: number; onlineCpus: number } {
  const text = readFileSync("/proc/stat", "utf8");
  const total = /^cpu\s+(.*)$/m.exec(text)?.[1]?.trim().split(/\s+/).slice(0, 7).reduce((s, v) => s + Number(v), 0) ?? 0;
  const onlineCpus = text.split("\n").filter((l) => /^cpu\d+ /.test(l)).length;
  return { ns: (total * 1e9) / CLOCK_TICKS, onlineCpus: Math.max(1, onlineCpus) };
}

/** The host's memory in bytes (the limit of a container without one). */
export function hostMemory(): number {
  const m = /^MemTotal:\s+(\d+) kB$/m.exec(readFileSync("/proc/meminfo", "utf8"));
  return m ? Number(m[1]) * 1024 : 0;
}

/** The target of /proc/<pid>/ns/<kind>, e.g. "pid:[4026531836]"; undefined when unreadable. */
export function namespaceOf(pid: number | "self", kind: "pid" | "net"): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/${kind}`);
  } catch {
    return undefined;
  }
}
