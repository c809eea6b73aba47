/**
 * Container cgroups: one interface, v1 and v2 implementations. A container's
 * cgroup is made under the cgroup rr runs in, never at a hierarchy root, and
 * removed when the container is gone. Besides limits, a cgroup is what makes
 * `pause` exact (the freezer) and `stats` cheap, so detached containers get
 * one whenever this user may create it (`always`).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync, accessSync, constants } from "node:fs";
import { join } from "node:path";
import type { ResourceLimits } from "./run-request.ts";
import { readCgroupLayout, type CgroupLayout } from "./cgroup-layout.ts";
import { RrError } from "../errors.ts";

export interface CgroupSupport {
  version: "v1" | "v2" | "none";
  /** Limits rr can enforce for this user, e.g. ["memory","cpu","cpuset","pids"]. */
  controllers: string[];
  /** Why some limits are unavailable. */
  note?: string;
}

const V1_LIMIT_CONTROLLERS = ["memory", "cpu", "cpuset", "pids"];
/** v1 hierarchies a container joins for pause and stats even without limits. */
const V1_ALWAYS = ["freezer", "memory", "cpuacct", "pids", "blkio"];
/** v2 controllers enabled for stats when the parent offers them (the freezer needs none). */
const V2_ALWAYS = ["memory", "pids", "cpu", "io"];

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export function detectCgroups(layout?: CgroupLayout): CgroupSupport {
  try {
    const l = layout ?? readCgroupLayout();
    if (l.unified) {
      const dir = l.v2!;
      const available = readFileSync(join(dir, "cgroup.controllers"), "utf8").trim().split(/\s+/).filter(Boolean);
      if (!writable(dir)) return { version: "v2", controllers: [], note: `cgroup ${dir} is not delegated to this user` };
      return { version: "v2", controllers: available.filter((c) => V1_LIMIT_CONTROLLERS.includes(c)) };
    }
    if (!l.v1.size) return { version: "none", controllers: [], note: "no cgroup filesystem found" };
    const usable = V1_LIMIT_CONTROLLERS.filter((c) => l.v1.has(c) && writable(l.v1.get(c)!));
    if (!usable.length) return { version: "v1", controllers: [], note: "cgroup v1 hierarchies are writable only by root" };
    return { version: "v1", controllers: usable };
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
  /** Directories, one per hierarchy (v1) or one (v2): what record.cgroupPaths keeps. */
  dirs: string[];
  /** Moves a process (and so its future children) into every directory. */
  addProcess(pid: number): void;
  /** Removes the directories, waiting briefly for dying processes to leave; false if some stay. */
  remove(): boolean;
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

/**
 * Creates the container's cgroup: the hierarchies its limits need and, with
 * `always`, those pause and stats use, where this user may write. Undefined
 * when nothing could be made (rootless without delegation); throws when a
 * limit cannot be written.
 */
export function createContainerCgroup(
  name: string, limits: ResourceLimits, support: CgroupSupport, opts: { always?: boolean; layout?: CgroupLayout } = {},
): ContainerCgroup | undefined {
  if (support.version === "none") return undefined;
  limits = applicable(limits, support); // the caller has warned about the others
  const layout = opts.layout ?? readCgroupLayout();
  const dirs: string[] = [];
  try {
    if (support.version === "v2") {
      if (!layout.v2 || (!opts.always && !v2Files(limits).length)) return undefined;
      if (!writable(layout.v2)) return undefined;
      dirs.push(createV2(layout.v2, name, limits, !!opts.always));
    } else {
      createV1(layout, name, limits, !!opts.always, dirs);
    }
  } catch (err) {
    removeDirs(dirs);
    throw err;
  }
  return dirs.length ? cgroupFromPaths(dirs) : undefined;
}

const LIMIT_CONTROLLER: Record<keyof ResourceLimits, string> = { memoryBytes: "memory", cpus: "cpu", cpusetCpus: "cpuset", pidsLimit: "pids" };

/** The limits this machine can apply for this user. */
function applicable(limits: ResourceLimits, support: CgroupSupport): ResourceLimits {
  return Object.fromEntries(Object.entries(limits).filter(([k, v]) =>
    v !== undefined && support.controllers.includes(LIMIT_CONTROLLER[k as keyof ResourceLimits]))) as ResourceLimits;
}

/** A v2 cgroup under parent; exported for tests on a hybrid machine's unified mount. */
export function createV2(parent: string, name: string, limits: ResourceLimits, always: boolean): string {
  const files = v2Files(limits);
  const needed = [...new Set(files.map(([f]) => f.split(".")[0]!))];
  const available = readFileSync(join(parent, "cgroup.controllers"), "utf8").trim().split(/\s+/);
  const wanted = [...new Set([...needed, ...(always ? V2_ALWAYS.filter((c) => available.includes(c)) : [])])];
  const failed = enableControllers(parent, wanted);
  const missing = needed.filter((c) => failed.has(c));
  if (missing.length) {
    throw new RrError(`enable the ${missing.join(", ")} controller in ${parent}/cgroup.subtree_control`, {
      cause: failed.get(missing[0]!),
      hint: "The cgroup rr runs in holds other processes: start rr in a delegated cgroup of its own (systemd-run --user --scope -p Delegate=yes).",
    });
  }
  const dir = join(parent, name);
  makeFreshDir(dir);
  for (const [f, v] of files) writeFileSync(join(dir, f), v);
  return dir;
}

/**
 * Enables controllers for parent's children; returns the ones that failed.
 * v2 refuses (EBUSY) while processes sit in parent itself; when rr is the
 * only one there it moves into a leaf, as DESIGN.md says, and tries again.
 */
function enableControllers(parent: string, controllers: string[]): Map<string, unknown> {
  const failed = new Map<string, unknown>();
  const attempt = (c: string) => {
    try {
      writeFileSync(join(parent, "cgroup.subtree_control"), `+${c}`);
      return undefined;
    } catch (err) {
      return err;
    }
  };
  let movedSelf = false;
  for (const c of controllers) {
    let err = attempt(c);
    if (err && (err as NodeJS.ErrnoException).code === "EBUSY" && !movedSelf && onlySelfIn(parent)) {
      movedSelf = true;
      const leaf = join(parent, "rr-cli");
      mkdirSync(leaf, { recursive: true });
      writeFileSync(join(leaf, "cgroup.procs"), String(process.pid));
      err = attempt(c);
    }
    if (err) failed.set(c, err);
  }
  return failed;
}

function onlySelfIn(dir: string): boolean {
  try {
    const pids = readFileSync(join(dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean);
    return pids.length === 1 && pids[0] === String(process.pid);
  } catch {
    return false;
  }
}

function createV1(layout: CgroupLayout, name: string, limits: ResourceLimits, always: boolean, dirs: string[]): void {
  const files = v1Files(limits);
  const wanted = [...Object.keys(files), ...(always ? V1_ALWAYS.filter((c) => layout.v1.has(c) && writable(layout.v1.get(c)!)) : [])];
  const done = new Set<string>(); // comounted controllers (cpu,cpuacct) share one directory
  for (const c of wanted) {
    const parent = layout.v1.get(c);
    if (!parent) throw new RrError(`the cgroup v1 ${c} hierarchy is not mounted`);
    const dir = join(parent, name);
    if (!done.has(dir)) {
      makeFreshDir(dir);
      dirs.push(dir);
      done.add(dir);
    }
    if (c === "cpuset") {
      // a v1 cpuset cgroup takes no task until cpus and mems are set
      writeFileSync(join(dir, "cpuset.mems"), readFileSync(join(parent, "cpuset.mems")));
    }
    for (const [f, v] of files[c] ?? []) writeFileSync(join(dir, f), v);
  }
}

/** mkdir; a leftover of the same name (rr killed before removing it, a restart) is removed first. */
function makeFreshDir(dir: string): void {
  try {
    mkdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    if (!removeTree(dir)) throw new RrError(`cgroup ${dir} already exists and still holds processes`, { cause: err });
    mkdirSync(dir);
  }
}

/** The cgroup of an existing container, from record.cgroupPaths. */
export function cgroupFromPaths(paths: string[]): ContainerCgroup {
  const dirs = [...paths];
  return {
    dirs,
    addProcess(pid: number) {
      for (const d of dirs) writeFileSync(join(d, "cgroup.procs"), String(pid));
    },
    remove: () => removeDirs(dirs),
  };
}

/**
 * rmdir, children first (a v2 container may have made sub-cgroups). A
 * cgroup whose last processes are still exiting answers EBUSY for a
 * moment: retry, for about a second in all.
 */
function removeDirs(dirs: string[]): boolean {
  const deadline = Date.now() + 1000;
  let ok = true;
  for (const dir of [...dirs].reverse()) ok = removeTree(dir, deadline) && ok;
  return ok;
}

function removeTree(dir: string, deadline = Date.now() + 1000): boolean {
  let entries: string[];
  try {
    entries = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ENOENT";
  }
  let ok = true;
  for (const e of entries) ok = removeTree(join(dir, e), deadline) && ok;
  for (;;) {
    try {
      rmdirSync(dir);
      return ok;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return ok;
      if (code !== "EBUSY" || Date.now() > deadline) return false;
      Bun.sleepSync(20);
    }
  }
}

/** The directory holding a v2 cgroup's or a v1 hierarchy's file `file`, if the container has one. */
export function cgroupDirWith(paths: string[] | undefined, file: string): string | undefined {
  return (paths ?? []).find((d) => existsSync(join(d, file)));
}

/** Whether dir is a cgroup v2 directory. */
export function isV2(dir: string): boolean {
  return existsSync(join(dir, "cgroup.controllers"));
}
