/**
 * Where rr's own cgroups are: each v1 hierarchy's mount and the directory
 * of the cgroup rr runs in, or the v2 one. Read from /proc/self/mountinfo
 * and /proc/self/cgroup, so comounted hierarchies (`cpu,cpuacct`) and
 * mounts of a sub-tree (a cgroup namespace) are placed correctly.
 */
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";

export interface CgroupLayout {
  /** v1 controller → the directory of rr's cgroup in that controller's hierarchy. */
  v1: Map<string, string>;
  /** rr's cgroup in the unified (v2) hierarchy, if one is mounted. */
  v2?: string;
  /** The unified hierarchy is the only one: no v1 controller is mounted. */
  unified: boolean;
}

interface Mount {
  root: string;
  point: string;
  fstype: string;
  superOptions: string[];
}

function cgroupMounts(mountinfo: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of mountinfo.split("\n")) {
    const [pre, post] = line.split(" - ");
    if (!pre || !post) continue;
    const f = pre.split(" ");
    const [fstype, , superOpts] = post.split(" ");
    if (fstype !== "cgroup" && fstype !== "cgroup2") continue;
    mounts.push({ root: unescape(f[3]!), point: unescape(f[4]!), fstype, superOptions: (superOpts ?? "").split(",") });
  }
  return mounts;
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** "hierarchy-id:controllers:path" lines → controller (or "" for v2) → path. */
export function parseProcCgroup(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === "") map.set("", m[2]!);
    for (const c of m[1]!.split(",")) if (c) map.set(c, m[2]!);
  }
  return map;
}

/** The directory of cgroup `path` on a mount whose root is `mount.root`. */
function dirOn(mount: Mount, path: string): string | undefined {
  const rel = relative(mount.root, path);
  if (rel.startsWith("..")) return undefined; // rr's cgroup is outside what this mount shows
  return join(mount.point, rel);
}

const NOT_CONTROLLERS = new Set(["rw", "ro", "noprefix", "clone_children", "xattr", "cpuset_v2_mode", ""]);

export function parseCgroupLayout(mountinfo: string, procCgroup: string): CgroupLayout {
  const own = parseProcCgroup(procCgroup);
  const mounts = cgroupMounts(mountinfo);
  const v1 = new Map<string, string>();
  for (const m of mounts.filter((x) => x.fstype === "cgroup")) {
    const controllers = m.superOptions.filter((o) => !NOT_CONTROLLERS.has(o) && !o.startsWith("name=") && !o.includes("="));
    for (const c of controllers) {
      const path = own.get(c);
      const dir = path === undefined ? undefined : dirOn(m, path);
      if (dir && !v1.has(c)) v1.set(c, dir);
    }
  }
  const v2Mount = mounts.find((x) => x.fstype === "cgroup2");
  const v2Path = own.get("");
  const v2 = v2Mount && v2Path !== undefined ? dirOn(v2Mount, v2Path) : undefined;
  return { v1, v2, unified: v1.size === 0 && v2 !== undefined };
}

export function readCgroupLayout(): CgroupLayout {
  return parseCgroupLayout(readFileSync("/proc/self/mountinfo", "utf8"), readFileSync("/proc/self/cgroup", "utf8"));
}
