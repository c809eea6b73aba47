import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statfsSync } from "node:fs";
import { join } from "node:path";
import { cgroupFromPaths, createContainerCgroup, createV2, detectCgroups, type ContainerCgroup } from "../../src/runtime/cgroups.ts";
import { readCgroupLayout } from "../../src/runtime/cgroup-layout.ts";
import { freezeContainer, pauseMethod, thawContainer } from "../../src/runtime/freezer.ts";
import { containerProcesses } from "../../src/runtime/container-processes.ts";
import { readProcStat } from "../../src/runtime/proc-stat.ts";
import { killTree } from "../helpers/process-tree.ts";

const IS_ROOT = process.getuid!() === 0;
const UNIFIED = "/sys/fs/cgroup/unified";
const layout = readCgroupLayout();
const v1 = IS_ROOT && !layout.unified && layout.v1.has("freezer");
const hybridV2 = IS_ROOT && existsSync(UNIFIED) && statfsSync(UNIFIED).type === 0x63677270;
const name = () => `rr-unit-${process.pid}-${Math.random().toString(16).slice(2, 8)}`;

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup) f(); // processes first, then their cgroup
  cleanup = [];
});

/** A stand-in container: a shell with two children, in the host's pid namespace. */
async function tree(): Promise<number> {
  const p = Bun.spawn(["sh", "-c", "sleep 30 & sleep 30 & wait"]);
  cleanup.push(() => killTree(p.pid));
  for (let i = 0; i < 100 && containerProcesses({ pid: p.pid }).length < 3; i++) await Bun.sleep(10);
  return p.pid;
}

const states = (pids: number[]) => pids.map((p) => readProcStat(p)?.state);

describe("pauseMethod()", () => {
  test("prefers the cgroup freezer the container has, else signals", () => {
    expect(pauseMethod(undefined)).toBe("signals");
    expect(pauseMethod(["/nonexistent/rr"])).toBe("signals");
  });
});

describe("freezeContainer() without a cgroup", () => {
  test("stops every process of the container with SIGSTOP, and thaw continues them", async () => {
    const pid = await tree();
    const pids = containerProcesses({ pid });
    expect(pids.length).toBe(3);
    expect(await freezeContainer({ pid })).toBe("signals");
    expect(states(pids)).toEqual(["T", "T", "T"]);
    expect(await thawContainer({ pid })).toBe("signals");
    expect(states(pids).some((s) => s === "T")).toBe(false);
  });

  test("stops the processes forked while it works", async () => {
    // a busy forker: new short-lived children all the time
    const p = Bun.spawn(["sh", "-c", "while true; do /bin/true; done"]);
    cleanup.push(() => killTree(p.pid));
    await Bun.sleep(100);
    await freezeContainer({ pid: p.pid });
    const pids = containerProcesses({ pid: p.pid });
    expect(states(pids).every((s) => s === "T" || s === "Z")).toBe(true);
    await Bun.sleep(100);
    expect(containerProcesses({ pid: p.pid })).toEqual(pids); // nothing new: it is really stopped
    await thawContainer({ pid: p.pid });
  });
});

describe.skipIf(!v1)(`freezeContainer() with a cgroup v1 freezer${v1 ? "" : " — skipped: needs root and a v1 freezer"}`, () => {
  test("freezes until freezer.state is FROZEN, and thaws", async () => {
    const pid = await tree();
    const cg = createContainerCgroup(name(), {}, detectCgroups(), { always: true })!;
    cleanup.push(() => cg.remove());
    for (const p of containerProcesses({ pid })) cg.addProcess(p);
    const freezer = cg.dirs.find((d) => existsSync(join(d, "freezer.state")))!;
    expect(await freezeContainer({ pid, cgroupPaths: cg.dirs })).toBe("cgroup v1 freezer");
    expect(readFileSync(join(freezer, "freezer.state"), "utf8").trim()).toBe("FROZEN");
    expect(await thawContainer({ pid, cgroupPaths: cg.dirs })).toBe("cgroup v1 freezer");
    expect(readFileSync(join(freezer, "freezer.state"), "utf8").trim()).toBe("THAWED");
  });
});

describe.skipIf(!hybridV2)(`freezeContainer() with a cgroup v2${hybridV2 ? "" : ` — skipped: needs root and cgroup2 at ${UNIFIED}`}`, () => {
  test("freezes until cgroup.events says frozen, and thaws", async () => {
    const pid = await tree();
    const cg: ContainerCgroup = cgroupFromPaths([createV2(UNIFIED, name(), {}, true)]);
    cleanup.push(() => cg.remove());
    for (const p of containerProcesses({ pid })) cg.addProcess(p);
    const events = () => readFileSync(join(cg.dirs[0]!, "cgroup.events"), "utf8");
    expect(await freezeContainer({ pid, cgroupPaths: cg.dirs })).toBe("cgroup v2 freezer");
    expect(events()).toContain("frozen 1");
    // the cgroup lists its members: the same three processes
    expect(containerProcesses({ pid, cgroupPaths: cg.dirs }).length).toBe(3);
    expect(await thawContainer({ pid, cgroupPaths: cg.dirs })).toBe("cgroup v2 freezer");
    expect(events()).toContain("frozen 0");
  });
});
