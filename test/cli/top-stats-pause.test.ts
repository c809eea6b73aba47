/**
 * `rr top`, `rr stats`, `rr pause` and `rr unpause` from the compiled
 * binary against a running container that prints a counter every 0.1 s:
 * paused it must stop counting, unpaused count again. Every identity mode,
 * and as root also with the container in a cgroup v1 (freezer, memory,
 * cpuacct, pids, blkio) and in a cgroup v2 (this hybrid machine's unified
 * mount), so each pause method is exercised: signals, v1 and v2 freezer.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statfsSync } from "node:fs";
import { join } from "node:path";
import { integrationSkipReason, MODES, Sandbox, IS_ROOT, type Mode } from "../helpers/rr.ts";
import { writeFixtures } from "../helpers/fixtures.ts";
import { cgroupFromPaths, createContainerCgroup, createV2, detectCgroups } from "../../src/runtime/cgroups.ts";
import { readCgroupLayout } from "../../src/runtime/cgroup-layout.ts";
import { containerProcesses } from "../../src/runtime/container-processes.ts";
import { pauseMethod } from "../../src/runtime/freezer.ts";
import { listContainers, updateContainer } from "../../src/store/container-store.ts";

const skip = integrationSkipReason();
const UNIFIED = "/sys/fs/cgroup/unified";
const CGROUP2_MAGIC = 0x63677270;
const hybridV2 = IS_ROOT && existsSync(UNIFIED) && statfsSync(UNIFIED).type === CGROUP2_MAGIC;
const v1Freezer = IS_ROOT && readCgroupLayout().v1.has("freezer");

type Cgroup = "none" | "v1" | "v2";
const TICKER = "i=0; while true; do i=$((i+1)); echo $i; sleep 0.1; done";

function scenario(mode: Mode, cgroup: Cgroup) {
  let sb: Sandbox;
  let child: ReturnType<typeof Bun.spawn>;
  let output = "";
  let pid = 0;
  let cgroupPaths: string[] = [];
  const rr = (args: string[], env?: Record<string, string>) => sb.rr(mode, args, { env });
  const last = () => Number(output.trim().split("\n").pop() ?? 0);
  /** How far the counter moves in ms. */
  const progress = async (ms: number) => {
    const before = last();
    await Bun.sleep(ms);
    return last() - before;
  };
  const record = () => listContainers(sb.storeRoot(mode)).find((c) => c.name === "ticker")!;

  beforeAll(async () => {
    sb = new Sandbox();
    sb.ok(mode, ["load", "-i", writeFixtures(sb).busybox]);
    sb.ok(mode, ["run", "--name", "done", "busybox", "true"]);
    const { argv, env } = sb.command(mode, ["run", "--name", "ticker", "--network", "none", "busybox", "sh", "-c", TICKER]);
    child = Bun.spawn(argv, { env, stdout: "pipe", stderr: "pipe" });
    (async () => {
      for await (const chunk of child.stdout as ReadableStream<Uint8Array>) output += new TextDecoder().decode(chunk);
    })();
    for (let i = 0; i < 100 && !sb.ok(mode, ["ps", "-q", "--no-trunc"]).trim(); i++) await Bun.sleep(50);
    pid = record().state.pid!;
    cgroupPaths = record().cgroupPaths ?? [];
    if (cgroup !== "none" && !cgroupPaths.length) {
      // the foreground run makes no cgroup without limits: give it one as a detached start would
      const name = `rr-test-${record().id.slice(0, 12)}`;
      const made = cgroup === "v1"
        ? createContainerCgroup(name, {}, detectCgroups(), { always: true })!
        : cgroupFromPaths([createV2(UNIFIED, name, {}, true)]);
      for (const p of containerProcesses({ pid })) made.addProcess(p);
      cgroupPaths = made.dirs;
      updateContainer(sb.storeRoot(mode), record().id, (r) => ({ ...r, cgroupPaths }));
    }
    await Bun.sleep(300);
  });

  afterAll(async () => {
    if (sb) rr(["unpause", "ticker"]); // a frozen v1 cgroup would hold the SIGKILL
    if (child) {
      child.kill("SIGKILL");
      await child.exited;
    }
    if (cgroupPaths.length) expect(cgroupFromPaths(cgroupPaths).remove()).toBe(true);
    sb?.cleanup();
  });

  test("the container is counting", async () => {
    expect(pid).toBeGreaterThan(0);
    expect(await progress(600)).toBeGreaterThan(2);
    if (cgroup === "v1") expect(cgroupPaths.some((d) => d.includes("/freezer/"))).toBe(true);
  });

  test("top shows ps -ef's columns with host pids", () => {
    const r = rr(["top", "ticker"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]!.split(/\s+/)).toEqual(["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]);
    expect(lines[0]!.indexOf("PID")).toBe(20); // Docker's tabwriter: columns at least 20 wide
    const first = lines[1]!.split(/\s+/);
    expect(first[0]).toBe(mode === "root" ? "root" : "rrtest");
    expect(Number(first[1])).toBe(pid);
    expect(first[5]).toBe("?");
    expect(first[6]).toMatch(/^\d\d:\d\d:\d\d$/);
    expect(lines[1]).toContain(`sh -c ${TICKER}`);
    expect(lines.slice(1).every((l) => /^\S+\s+\d+\s+\d+\s+\d+\s/.test(l))).toBe(true);
  });

  test("top with ps options runs the host's ps and keeps the container's rows", () => {
    const r = rr(["top", "ticker", "-o", "pid,comm"]);
    expect(r.code).toBe(0);
    const rows = r.stdout.trimEnd().split("\n").map((l) => l.trim().split(/\s+/));
    expect(rows[0]).toEqual(["PID", "COMMAND"]);
    expect(rows).toContainEqual([String(pid), "sh"]);
    // nothing from the host: the container runs only sh and its sleeps
    expect(rows.slice(1).map((row) => row[1]).filter((c) => c !== "sh" && c !== "sleep")).toEqual([]);
  });

  test("top refuses ps options that rename a column to PID", () => {
    const r = rr(["top", "ticker", "-o", "ppid=PID"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`specifying "ppid=PID" is not allowed`);
  });

  test("stats --no-stream shows Docker's columns with live figures", () => {
    const r = rr(["stats", "--no-stream"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS$/);
    expect(lines.length).toBe(2); // running containers only: "done" is not listed
    expect(lines[1]).toMatch(/^[0-9a-f]{12}\s+ticker\s+\d+\.\d\d%\s+[\d.]+[KMG]iB \/ [\d.]+[KMGT]iB\s+\d+\.\d\d%\s+\S+ \/ \S+\s+\S+ \/ \S+\s+\d+$/);
  });

  test("stats --format json gives Docker's fields", () => {
    const r = rr(["stats", "--no-stream", "--format", "json", "ticker"]);
    expect(r.code).toBe(0);
    const row = JSON.parse(r.stdout);
    expect(Object.keys(row)).toEqual(["BlockIO", "CPUPerc", "Container", "ID", "MemPerc", "MemUsage", "Name", "NetIO", "PIDs"]);
    expect(row.Container).toBe("ticker");
    expect(row.NetIO).toBe("0B / 0B"); // --network none: loopback only, which Docker does not count
    expect(Number(row.PIDs)).toBeGreaterThanOrEqual(1);
    expect(parseFloat(row.MemUsage)).toBeGreaterThan(0);
  });

  test("stats takes a Go template and shows stopped containers with -a", () => {
    const r = rr(["stats", "-a", "--no-stream", "--no-trunc", "--format", "{{.Name}} {{.PIDs}} {{.MemUsage}} {{.ID}}"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n").sort();
    expect(lines[0]).toMatch(/^done 0 0B \/ 0B [0-9a-f]{64}$/);
    expect(lines[1]).toMatch(/^ticker [1-9]\d* \S+ \/ \S+ [0-9a-f]{64}$/);
  });

  test("stats streams, redrawing every second, until interrupted", async () => {
    const { argv, env } = sb.command(mode, ["stats", "ticker"]);
    const p = Bun.spawn(argv, { env, stdout: "pipe", stderr: "pipe" });
    await Bun.sleep(2600);
    p.kill("SIGINT");
    await p.exited;
    const out = await new Response(p.stdout as ReadableStream).text();
    expect(out.startsWith("\x1b[2J")).toBe(true);
    expect(out.split("\x1b[H").length - 1).toBeGreaterThanOrEqual(2);
    expect(out).toContain("CONTAINER ID");
    expect(out).toContain("ticker");
  });

  test("pause stops the container making progress, unpause resumes it", async () => {
    const r = rr(["pause", "ticker"]);
    expect(r).toMatchObject({ code: 0, stdout: "ticker\n" });
    const state = JSON.parse(sb.ok(mode, ["ps", "-a", "--format", "json"]).split("\n").find((l) => l.includes('"ticker"'))!).State;
    expect(state).toBe("paused");
    const method = pauseMethod(cgroupPaths);
    expect(method).toBe(({ v1: "cgroup v1 freezer", v2: "cgroup v2 freezer", none: method } as const)[cgroup]);
    if (method === "cgroup v1 freezer") expect(readFileSync(join(cgroupPaths.find((d) => d.includes("/freezer/"))!, "freezer.state"), "utf8").trim()).toBe("FROZEN");
    if (method === "cgroup v2 freezer") expect(readFileSync(join(cgroupPaths[0]!, "cgroup.events"), "utf8")).toContain("frozen 1");
    if (method === "signals") {
      for (const p of containerProcesses({ pid })) expect(readFileSync(`/proc/${p}/stat`, "utf8")).toMatch(/\) T /);
    }
    await Bun.sleep(300); // what was printed before the pause arrives
    expect(await progress(800)).toBe(0);

    // a paused container is still running for top
    expect(rr(["top", "ticker"]).code).toBe(0);
    const again = rr(["pause", "ticker"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe("rr: container ticker is already paused\n");

    expect(rr(["unpause", "ticker"])).toMatchObject({ code: 0, stdout: "ticker\n" });
    expect(await progress(800)).toBeGreaterThan(2);
    expect(record().state.status).toBe("running");
  });

  test("pause of several containers pauses the known ones and reports the rest", async () => {
    const r = rr(["pause", "ticker", "nosuch"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("ticker\n");
    expect(r.stderr).toBe("rr: No such container: nosuch\n");
    expect(record().state.status).toBe("paused");
    expect(rr(["unpause", "ticker"]).code).toBe(0);
    expect(await progress(600)).toBeGreaterThan(1);
  });

  test("unpause of a running container is refused and changes nothing", () => {
    const r = rr(["unpause", "ticker"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("rr: container ticker is not paused\n");
    expect(record().state.status).toBe("running");
  });

  test("a stopped container cannot be paused, unpaused or shown by top", () => {
    for (const [cmd, message] of [["pause", "is not running"], ["top", "is not running"], ["unpause", "is not paused"]] as const) {
      const r = rr([cmd, "done"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toStartWith(`rr: container done ${message}\n`);
    }
    expect(listContainers(sb.storeRoot(mode)).find((c) => c.name === "done")!.state.status).toBe("exited");
  });

  test("unknown containers and missing arguments are errors", () => {
    for (const cmd of ["top", "pause", "unpause", "stats"]) {
      const r = rr([cmd, "nosuch"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe("rr: No such container: nosuch\n");
    }
    for (const cmd of ["top", "pause", "unpause"]) {
      const r = rr([cmd]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`"rr ${cmd}" requires at least 1 argument.`);
    }
  });

  const psNote = mode === "root" ? "" : " — skipped: rootless, PATH would also hide setpriv";
  test.if(mode === "root")(`without ps installed, top still works and says what to install for ps options${psNote}`, () => {
    const env = { PATH: "/nonexistent" };
    expect(rr(["top", "ticker"], env).code).toBe(0);
    const r = rr(["top", "ticker", "aux"], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("ps is not installed");
    expect(r.stderr).toContain("procps");
  });
}

describe.skipIf(!!skip).each(MODES)(`rr top/stats/pause (%s)${skip ? ` — skipped: ${skip}` : ""}`, (mode: Mode) => {
  scenario(mode, "none");
});

describe.skipIf(!!skip || !v1Freezer)(`rr top/stats/pause (root, cgroup v1)${!v1Freezer ? " — skipped: no cgroup v1 freezer here" : ""}`, () => {
  scenario("root", "v1");
});

describe.skipIf(!!skip || !hybridV2)(`rr top/stats/pause (root, cgroup v2)${!hybridV2 ? ` — skipped: no cgroup2 mount at ${UNIFIED}` : ""}`, () => {
  scenario("root", "v2");
});
