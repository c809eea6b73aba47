import { describe, expect, test } from "bun:test";
import { parseCgroupLayout, parseProcCgroup } from "../../src/runtime/cgroup-layout.ts";

const line = (id: number, root: string, point: string, fstype: string, opts: string) =>
  `${id} 1 0:${id} ${root} ${point} rw,relatime - ${fstype} ${fstype} ${opts}`;

describe("parseCgroupLayout()", () => {
  test("places each v1 controller under rr's own cgroup, separate cpu and cpuacct hierarchies too", () => {
    const mountinfo = [
      line(31, "/", "/sys/fs/cgroup", "tmpfs", "rw,mode=755"),
      line(32, "/", "/sys/fs/cgroup/cpu", "cgroup", "rw,cpu"),
      line(33, "/", "/sys/fs/cgroup/cpuacct", "cgroup", "rw,cpuacct"),
      line(35, "/", "/sys/fs/cgroup/memory", "cgroup", "rw,memory"),
      line(37, "/", "/sys/fs/cgroup/freezer", "cgroup", "rw,freezer"),
      line(40, "/", "/sys/fs/cgroup/systemd", "cgroup", "rw,xattr,name=systemd"),
      line(41, "/", "/sys/fs/cgroup/unified", "cgroup2", "rw"),
    ].join("\n");
    const own = "9:name=systemd:/\n6:freezer:/\n4:memory:/api/45bd\n2:cpuacct:/\n1:cpu:/\n0::/\n";
    const l = parseCgroupLayout(mountinfo, own);
    expect(Object.fromEntries(l.v1)).toEqual({
      cpu: "/sys/fs/cgroup/cpu", cpuacct: "/sys/fs/cgroup/cpuacct", memory: "/sys/fs/cgroup/memory/api/45bd", freezer: "/sys/fs/cgroup/freezer",
    });
    expect(l.unified).toBe(false);
    expect(l.v2).toBe("/sys/fs/cgroup/unified");
  });

  test("comounted controllers share one directory", () => {
    const mountinfo = line(32, "/", "/sys/fs/cgroup/cpu,cpuacct", "cgroup", "rw,cpu,cpuacct");
    const l = parseCgroupLayout(mountinfo, "3:cpu,cpuacct:/user.slice\n");
    expect(l.v1.get("cpu")).toBe("/sys/fs/cgroup/cpu,cpuacct/user.slice");
    expect(l.v1.get("cpuacct")).toBe("/sys/fs/cgroup/cpu,cpuacct/user.slice");
  });

  test("a mount of a sub-tree (no cgroup namespace) maps rr's path below the mount's root", () => {
    const mountinfo = line(35, "/docker/abc", "/sys/fs/cgroup/memory", "cgroup", "rw,memory");
    expect(parseCgroupLayout(mountinfo, "4:memory:/docker/abc/inner\n").v1.get("memory")).toBe("/sys/fs/cgroup/memory/inner");
    // a cgroup outside what the mount shows cannot be written through it
    expect(parseCgroupLayout(mountinfo, "4:memory:/elsewhere\n").v1.has("memory")).toBe(false);
  });

  test("cgroup v2 alone is the unified layout, rr's cgroup under the mount", () => {
    const mountinfo = line(30, "/", "/sys/fs/cgroup", "cgroup2", "rw,nsdelegate,memory_recursiveprot");
    const l = parseCgroupLayout(mountinfo, "0::/user.slice/user-1000.slice/user@1000.service/app.slice/rr.scope\n");
    expect(l.unified).toBe(true);
    expect(l.v2).toBe("/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice/rr.scope");
  });

  test("mount points with escaped spaces are decoded", () => {
    const mountinfo = line(30, "/", "/mnt/my\\040cgroups", "cgroup2", "rw");
    expect(parseCgroupLayout(mountinfo, "0::/\n").v2).toBe("/mnt/my cgroups");
  });
});

describe("parseProcCgroup()", () => {
  test("maps each controller and the v2 entry to its path", () => {
    const m = parseProcCgroup("5:cpu,cpuacct:/a\n0::/b\n");
    expect(Object.fromEntries(m)).toEqual({ cpu: "/a", cpuacct: "/a", "": "/b" });
  });
});
