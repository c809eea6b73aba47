/**
 * The processes of a running container, as host pids: the members of its
 * cgroup when it has one, else every process in the pid namespace of its
 * first process (which also finds what `exec` started). Unprivileged, the
 * namespace links of processes running as subordinate ids are readable
 * too: the user owns the container's user namespace.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isV2 } from "./cgroups.ts";
import { namespaceOf, readProcStat } from "./proc-stat.ts";

export interface ContainerProcessSource {
  /** The container's PID 1 on the host. */
  pid: number;
  cgroupPaths?: string[];
}

export function containerProcesses(c: ContainerProcessSource): number[] {
  const fromCgroup = cgroupMembers(c.cgroupPaths ?? []);
  if (fromCgroup?.length) return fromCgroup;
  return namespaceMembers(c.pid);
}

/** Members of the first readable cgroup directory (every hierarchy holds all of them), sub-cgroups included. */
function cgroupMembers(paths: string[]): number[] | undefined {
  for (const dir of paths) {
    try {
      const pids = new Set<number>();
      collect(dir, isV2(dir), pids);
      return [...pids].sort((a, b) => a - b);
    } catch {}
  }
  return undefined;
}

function collect(dir: string, v2: boolean, into: Set<number>): void {
  for (const line of readFileSync(join(dir, "cgroup.procs"), "utf8").split("\n")) if (line) into.add(Number(line));
  if (!v2) return; // v1 sub-cgroups are the container's own business, and rare
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) {
      try { collect(join(dir, e.name), true, into); } catch {}
    }
  }
}

function numericEntries(): number[] {
  return readdirSync("/proc").filter((n) => /^\d+$/.test(n)).map(Number);
}

function namespaceMembers(pid: number): number[] {
  const ns = namespaceOf(pid, "pid");
  if (!ns) return [];
  // never take the host's own namespace for the container's: that would be every process
  if (ns === namespaceOf("self", "pid")) return descendants(pid);
  return numericEntries().filter((p) => p === pid || namespaceOf(p, "pid") === ns).sort((a, b) => a - b);
}

/** pid and its descendants, by parent links. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const p of numericEntries()) {
    const st = readProcStat(p);
    if (st) children.set(st.ppid, [...(children.get(st.ppid) ?? []), p]);
  }
  const out: number[] = [];
  const walk = (p: number) => {
    out.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return out.sort((a, b) => a - b);
}
