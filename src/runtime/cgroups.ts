/**
 * Container cgroups: one interface, v1 and v2 implementations. A container's
 * cgroup is made under the cgroup rr runs in, never at a hierarchy root, and
 * removed when the container is gone.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync, accessSync, constants } from "node:fs";
import { join } from "node:path";
import type { ResourceLimits } from "./run-request.ts";

export interface CgroupSupport {
  version: "v1" | "v2" | "none";
  /** Limits rr can enforce for this user, e.g. ["memory","cpu","cpuset","pids"]. */
  controllers: string[];
  /** Why some limits are unavailable. */
  note?: string;
}

const V1_CONTROLLERS = ["memory", "cpu", "cpuset", "pids", "freezer"];

function ownCgroups(): Map<string, string> {
  // "hierarchy-id:controllers:path" per line; v2 is "0::path"
  const map = new Map<string, string>();
  for (const line of readFileSync("/proc/self/cgroup", "utf8").split("\n")) {
    const [, ctrls, path] = line.split(":", 3) as [string, string, string];
    if (path === undefined) continue;
    if (ctrls === "") map.set("", path);
    for (const c of ctrls.split(",")) if (c) map.set(c, path);
  }
  return map;
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function isUnifiedRoot(): boolean {
  return existsSync("/sys/fs/cgroup/cgroup.controllers");
}

export function detectCgroups(): CgroupSupport {
  try {
    const own = ownCgroups();
    if (isUnifiedRoot()) {
      const dir = join("/sys/fs/cgroup", own.get("") ?? "/");
      const available = readFileSync(join(dir, "cgroup.controllers"), "utf8").trim().split(/\s+/).filter(Boolean);
      if (!writable(dir)) return { version: "v2", controllers: [], note: `cgroup ${dir} is not delegated to this user` };
      return { version: "v2", controllers: available.filter((c) => ["memory", "cpu", "cpuset", "pids"].includes(c)) };
    }
    const usable = V1_CONTROLLERS.filter((c) => {
      const dir = join("/sys/fs/cgroup", c, own.get(c) ?? "/");
      return existsSync(dir) && writable(dir);
    });
    if (!usable.length) return { version: "v1", controllers: [], note: "cgroup v1 hierarchies are writable only by root" };
    return { version: "v1", controllers: usable.filter((c) => c !== "freezer") };
  } catch {
    return { version: "none", controllers: [], note: "no cgroup filesystem found" };
  }
}

/** Which of the requested limits cannot be applied here. */
export function unsupportedLimits(limits: ResourceLimits, support: CgroupSupport): string[] {
  const need: [keyof ResourceLimits, string, string][] = [
    ["memoryBytes", "memory", "--memory"], ["cpus", "cpu", "--cpus"], ["cpusetCpus", "cpuset", "--cpuset-cpus"], ["pidsLimit", "pids", "--pids-limit"],
  ];
  return need.filter(([k, c]) => limits[k] !== undefined && !support.controllers.includes(c)).map(([, , flag]) => flag);
}

export interface ContainerCgroup {
  /** Directories, one per hierarchy (v1) or one (v2). */
  dirs: string[];
  addProcess(pid: number): void;
  remove(): void;
}

function v1Files(limits: ResourceLimits): Record<string, [string, string][]> {
  const files: Record<string, [string, string][]> = {};
  if (limits.memoryBytes !== undefined) files.memory = [["memory.limit_in_bytes", String(limits.memoryBytes)]];
  if (limits.cpus !== undefined) files.cpu = [["cpu.cfs_period_us", "100000"], ["cpu.cfs_quota_us", String(Math.round(limits.cpus * 100000))]];
  if (limits.cpusetCpus !== undefined) files.cpuset = [["cpuset.cpus", limits.cpusetCpus]];
  if (limits.pidsLimit !== undefined) files.pids = [["pids.max", limits.pidsLimit > 0 ? String(limits.pidsLimit) : "max"]];
  return files;
}

function v2Files(limits: ResourceLimits): [string, string][] {
  const files: [string, string][] = [];
  if (limits.memoryBytes !== undefined) files.push(["memory.max", String(limits.memoryBytes)]);
  if (limits.cpus !== undefined) files.push(["cpu.max", `${Math.round(limits.cpus * 100000)} 100000`]);
  if (limits.cpusetCpus !== undefined) files.push(["cpuset.cpus", limits.cpusetCpus]);
  if (limits.pidsLimit !== undefined) files.push(["pids.max", limits.pidsLimit > 0 ? String(limits.pidsLimit) : "max"]);
  return files;
}

/** Creates the container's cgroup(s) with the limits written; the caller adds the pid. */
export function createCgroup(name: string, limits: ResourceLimits, support: CgroupSupport): ContainerCgroup | undefined {
  const own = ownCgroups();
  const dirs: string[] = [];
  const cleanup = () => { for (const d of dirs.reverse()) try { rmdirSync(d); } catch {} };
  try {
    if (support.version === "v2") {
      const parent = join("/sys/fs/cgroup", own.get("") ?? "/");
      const files = v2Files(limits);
      const need = [...new Set(files.map(([f]) => f.split(".")[0]!))];
      if (need.length) writeFileSync(join(parent, "cgroup.subtree_control"), need.map((c) => `+${c}`).join(" "));
      const dir = join(parent, name);
      mkdirSync(dir);
      dirs.push(dir);
      for (const [f, v] of files) writeFileSync(join(dir, f), v);
    } else if (support.version === "v1") {
      const files = v1Files(limits);
      for (const c of Object.keys(files)) {
        const parent = join("/sys/fs/cgroup", c, own.get(c) ?? "/");
        const dir = join(parent, name);
        mkdirSync(dir);
        dirs.push(dir);
        if (c === "cpuset") {
          // a v1 cpuset cgroup takes no task until cpus and mems are set
          writeFileSync(join(dir, "cpuset.mems"), readFileSync(join(parent, "cpuset.mems")));
        }
        for (const [f, v] of files[c]!) writeFileSync(join(dir, f), v);
      }
    } else {
      return undefined;
    }
  } catch (err) {
    cleanup();
    throw err;
  }
  return {
    dirs,
    addProcess(pid: number) {
      for (const d of dirs) writeFileSync(join(d, "cgroup.procs"), String(pid));
    },
    remove: cleanup,
  };
}
