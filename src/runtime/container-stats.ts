/**
 * One reading of a running container's resource counters, for `rr stats`:
 * from its cgroup where it has one, the rest summed over its processes
 * from /proc. CPU % needs two readings (Docker's formula).
 */
import { readFileSync } from "node:fs";
import { readCgroupCounters } from "./cgroup-stats.ts";
import { containerProcesses, type ContainerProcessSource } from "./container-processes.ts";
import { CLOCK_TICKS, hostMemory, namespaceOf, readProcStat, systemCpu } from "./proc-stat.ts";

export interface StatsSample {
  /** CPU time the container used, ns. */
  cpuNs: number;
  /** CPU time the whole machine counted, ns. */
  systemNs: number;
  onlineCpus: number;
  memUsage: number;
  memLimit: number;
  netRx: number;
  netTx: number;
  blkRead: number;
  blkWrite: number;
  pids: number;
}

export function sampleContainer(c: ContainerProcessSource): StatsSample {
  const cg = readCgroupCounters(c.cgroupPaths ?? []);
  const needProcs = cg.cpuNs === undefined || cg.memUsage === undefined || cg.pids === undefined || cg.blkRead === undefined;
  const procs = needProcs ? sumProcesses(containerProcesses(c)) : undefined;
  const host = hostMemory();
  const sys = systemCpu();
  const net = networkBytes(c.pid);
  return {
    cpuNs: cg.cpuNs ?? procs!.cpuNs,
    systemNs: sys.ns,
    onlineCpus: sys.onlineCpus,
    memUsage: cg.memUsage ?? procs!.memory,
    // Docker shows the host's memory when the container has no (smaller) limit
    memLimit: cg.memLimit !== undefined && cg.memLimit < host ? cg.memLimit : host,
    netRx: net.rx,
    netTx: net.tx,
    blkRead: cg.blkRead ?? procs!.blkRead,
    blkWrite: cg.blkWrite ?? procs!.blkWrite,
    pids: cg.pids ?? procs!.threads,
  };
}

/** Docker's CPU %: the container's share of the machine's CPU time between two readings, times the CPUs. */
export function cpuPercent(prev: StatsSample | undefined, cur: StatsSample): number {
  if (!prev) return 0;
  const cpu = cur.cpuNs - prev.cpuNs;
  const system = cur.systemNs - prev.systemNs;
  return cpu > 0 && system > 0 ? (cpu / system) * cur.onlineCpus * 100 : 0;
}

interface ProcessSums {
  cpuNs: number;
  memory: number;
  threads: number;
  blkRead: number;
  blkWrite: number;
}

/**
 * Without a cgroup. CPU counts each live process and, through the c-times
 * of whoever waited for them, the ones that already exited. Memory is PSS:
 * RSS would count the shared pages of every process again.
 */
function sumProcesses(pids: number[]): ProcessSums {
  const s: ProcessSums = { cpuNs: 0, memory: 0, threads: 0, blkRead: 0, blkWrite: 0 };
  for (const pid of pids) {
    const st = readProcStat(pid);
    if (!st) continue;
    s.cpuNs += ((st.utime + st.stime + st.cutime + st.cstime) * 1e9) / CLOCK_TICKS;
    s.threads += st.numThreads;
    s.memory += processMemory(pid);
    const io = readSafe(`/proc/${pid}/io`); // readable only for processes of the user's own uid
    s.blkRead += Number(/^read_bytes: (\d+)$/m.exec(io)?.[1] ?? 0);
    s.blkWrite += Number(/^write_bytes: (\d+)$/m.exec(io)?.[1] ?? 0);
  }
  return s;
}

function readSafe(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** PSS where readable (smaps_rollup needs ptrace access), else RSS. */
function processMemory(pid: number): number {
  const kb = /^Pss:\s+(\d+) kB$/m.exec(readSafe(`/proc/${pid}/smaps_rollup`)) ?? /^VmRSS:\s+(\d+) kB$/m.exec(readSafe(`/proc/${pid}/status`));
  return Number(kb?.[1] ?? 0) * 1024;
}

/**
 * Bytes through the container's own network namespace, loopback aside. A
 * container on the host's network has none of its own: 0, as Docker shows.
 */
function networkBytes(pid: number): { rx: number; tx: number } {
  const ns = namespaceOf(pid, "net");
  if (!ns || ns === namespaceOf("self", "net")) return { rx: 0, tx: 0 };
  return parseNetDev(readSafe(`/proc/${pid}/net/dev`));
}

export function parseNetDev(text: string): { rx: number; tx: number } {
  let rx = 0, tx = 0;
  for (const line of text.split("\n").slice(2)) {
    const colon = line.indexOf(":");
    if (colon < 0 || line.slice(0, colon).trim() === "lo") continue;
    const f = line.slice(colon + 1).trim().split(/\s+/);
    rx += Number(f[0] ?? 0);
    tx += Number(f[8] ?? 0);
  }
  return { rx, tx };
}
