import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, statfsSync } from "node:fs";
import { join } from "node:path";
import {
  cgroupFromPaths, createContainerCgroup, createV2, detectCgroups, unsupportedLimits, type ContainerCgroup,
} from "../../src/runtime/cgroups.ts";
import { readCgroupLayout } from "../../src/runtime/cgroup-layout.ts";

const IS_ROOT = process.getuid!() === 0;
const UNIFIED = "/sys/fs/cgroup/unified";
const layout = readCgroupLayout();
const v1 = IS_ROOT && !layout.unified && layout.v1.has("freezer");
const hybridV2 = IS_ROOT && existsSync(UNIFIED) && statfsSync(UNIFIED).type === 0x63677270;
const name = () => `rr-unit-${process.pid}-${Math.random().toString(16).slice(2, 8)}`;

let made: ContainerCgroup[] = [];
afterEach(() => {
  for (const c of made) c.remove();
  made = [];
});

describe("unsupportedLimits()", () => {
  test("names the flags whose controller is missing", () => {
    const support = { version: "v1" as const, controllers: ["memory"] };
    expect(unsupportedLimits({ memoryBytes: 1, pidsLimit: 5, cpus: 1 }, support)).toEqual(["--cpus", "--pids-limit"]);
    expect(unsupportedLimits({}, support)).toEqual([]);
  });
});

describe("createContainerCgroup()", () => {
  test("makes nothing where there are no cgroups, or nothing is asked", () => {
    expect(createContainerCgroup(name(), {}, { version: "none", controllers: [] }, { always: true })).toBeUndefined();
    expect(createContainerCgroup(name(), {}, detectCgroups())).toBeUndefined();
  });

  describe.skipIf(!v1)(`as root on cgroup v1${v1 ? "" : " — skipped: needs root and a v1 freezer hierarchy"}`, () => {
    test("always: joins the freezer and the hierarchies stats read, under rr's own cgroups", () => {
      const cg = createContainerCgroup(name(), {}, detectCgroups(), { always: true })!;
      made.push(cg);
      for (const c of ["freezer", "memory", "cpuacct", "pids", "blkio"].filter((c) => layout.v1.has(c))) {
        expect(cg.dirs.some((d) => d.startsWith(layout.v1.get(c)! + "/rr-unit-"))).toBe(true);
      }
      for (const d of cg.dirs) expect(existsSync(join(d, "cgroup.procs"))).toBe(true);
    });

    test("writes the limits asked for", () => {
      const cg = createContainerCgroup(name(), { memoryBytes: 64 * 1024 * 1024, pidsLimit: 7 }, detectCgroups(), { always: true })!;
      made.push(cg);
      const dir = (file: string) => cg.dirs.find((d) => existsSync(join(d, file)))!;
      expect(readFileSync(join(dir("memory.limit_in_bytes"), "memory.limit_in_bytes"), "utf8").trim()).toBe(String(64 * 1024 * 1024));
      expect(readFileSync(join(dir("pids.max"), "pids.max"), "utf8").trim()).toBe("7");
    });

    test("a leftover cgroup of the same name (rr killed before removing it) is replaced", () => {
      const n = name();
      const stale = join(layout.v1.get("freezer")!, n);
      mkdirSync(stale);
      const cg = createContainerCgroup(n, {}, detectCgroups(), { always: true })!;
      made.push(cg);
      expect(cg.dirs).toContain(stale);
    });

    test("remove() waits for a process that is still dying, then removes every directory", async () => {
      const cg = createContainerCgroup(name(), {}, detectCgroups(), { always: true })!;
      const p = Bun.spawn(["sleep", "30"]);
      cg.addProcess(p.pid);
      expect(readFileSync(join(cg.dirs[0]!, "cgroup.procs"), "utf8")).toContain(String(p.pid));
      p.kill("SIGKILL");
      expect(cg.remove()).toBe(true);
      for (const d of cg.dirs) expect(existsSync(d)).toBe(false);
      await p.exited;
    });

    test("remove() reports a cgroup that still holds a live process", async () => {
      const cg = createContainerCgroup(name(), {}, detectCgroups(), { always: true })!;
      const p = Bun.spawn(["sleep", "30"]);
      cg.addProcess(p.pid);
      expect(cgroupFromPaths(cg.dirs).remove()).toBe(false);
      p.kill("SIGKILL");
      await p.exited;
      expect(cg.remove()).toBe(true);
    });
  });

  describe.skipIf(!hybridV2)(`as root on a cgroup v2 mount${hybridV2 ? "" : ` — skipped: needs root and cgroup2 at ${UNIFIED}`}`, () => {
    test("createV2 makes a directory with a freezer; remove() takes sub-cgroups too", () => {
      const dir = createV2(UNIFIED, name(), {}, true);
      const cg = cgroupFromPaths([dir]);
      made.push(cg);
      expect(existsSync(join(dir, "cgroup.freeze"))).toBe(true);
      mkdirSync(join(dir, "inner", "deeper"), { recursive: true });
      expect(cg.remove()).toBe(true);
      expect(existsSync(dir)).toBe(false);
    });

    test("a limit whose controller the parent lacks is an error that says what to do", () => {
      const available = readFileSync(join(UNIFIED, "cgroup.controllers"), "utf8");
      if (available.includes("memory")) return; // this machine delegates memory: nothing to refuse
      expect(() => createV2(UNIFIED, name(), { memoryBytes: 1 << 26 }, false)).toThrow(/enable the memory controller/);
    });
  });
});

describe("createContainerCgroup() where limits cannot be applied", () => {
  test("skips the limits this user cannot set instead of failing (the caller warned)", () => {
    // as if rootless on cgroup v1: no controller is usable
    const support = { version: "v1" as const, controllers: [], note: "cgroup v1 hierarchies are writable only by root" };
    if (IS_ROOT) {
      // root can write, so only the limit is dropped: the cgroup is still made, without memory.limit_in_bytes set
      const cg = createContainerCgroup(name(), { memoryBytes: 1 << 26 }, support, { always: true });
      made.push(...(cg ? [cg] : []));
      const mem = cg?.dirs.find((d) => existsSync(join(d, "memory.limit_in_bytes")));
      if (mem) expect(Number(readFileSync(join(mem, "memory.limit_in_bytes"), "utf8"))).toBeGreaterThan(1 << 26);
    } else {
      expect(createContainerCgroup(name(), { memoryBytes: 1 << 26 }, support, { always: true })).toBeUndefined();
    }
  });
});
