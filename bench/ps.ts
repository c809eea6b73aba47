/**
 * `ps -a` over many containers: rr beside podman, both rootless as the same
 * unprivileged user, each store holding N stopped busybox containers made
 * by the tools' own commands (`rr run --name psN busybox true`, `podman
 * create --name psN busybox true`). Run as root:
 *
 *   node_modules/.bin/bun bench/ps.ts [--containers 500] [--rounds 20] [--rr dist/rr]
 *
 * Informational only: it never fails on a timing.
 */
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { asUser, BENCH_USER, ensureUser, runAsUser, type UserEnv } from "./lib/as-user.ts";
import { makeBusyboxFixture } from "./lib/busybox-fixture.ts";
import { failureLine, peakRssKb, runOnce, summarize, type Sample } from "./lib/measure.ts";
import { enterPrivateMountNsIfNeeded } from "./lib/private-mount-ns.ts";
import { ms, ratio, resultsTable, type ResultRow } from "./lib/report.ts";

const REPO = join(import.meta.dir, "..");
const GOAL_MS = 50;

const { values: opts } = parseArgs({
  options: {
    containers: { type: "string", default: "500" },
    rounds: { type: "string", default: "20" },
    rr: { type: "string", default: join(REPO, "dist", "rr") },
    parallel: { type: "string", default: "4" },
  },
});
const count = Number(opts.containers), rounds = Number(opts.rounds), parallel = Number(opts.parallel);
if (!(count > 0) || !(rounds > 0) || !(parallel > 0)) throw new Error("--containers, --rounds and --parallel must be > 0");
if (process.getuid?.() !== 0) {
  console.error("ps bench: run me as root; I run the tools rootless as", BENCH_USER);
  process.exit(2);
}

const ns = enterPrivateMountNsIfNeeded();
if (ns && "exitCode" in ns) process.exit(ns.exitCode);
const nsNote = ns && "note" in ns ? ns.note : undefined;

interface Tool {
  /** argv prefix of the tool with its private store, run as the user */
  cmd: string[];
  cleanup(): void;
}

/** Runs `make(i)` for i = 1..n, `parallel` at a time, as the user; throws on the first failure. */
async function fill(u: UserEnv, n: number, make: (i: number) => string[]): Promise<void> {
  let next = 1;
  const worker = async () => {
    while (next <= n) {
      const i = next++;
      const p = Bun.spawn(asUser(u, make(i)), { stdout: "ignore", stderr: "pipe" });
      if ((await p.exited) !== 0) throw new Error(`${make(i).slice(-5).join(" ")}: ${(await new Response(p.stderr).text()).trim()}`);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

function bestEffort(u: UserEnv, argv: string[]): void {
  try { runAsUser(u, argv); } catch (e) { console.error(`cleanup: ${(e as Error).message}`); }
}

async function rrTool(u: UserEnv, dir: string, archive: string): Promise<Tool> {
  const built = resolve(opts.rr!);
  if (!existsSync(built)) throw new Error(`${built} is missing: build it first (npm run build)`);
  const bin = join(dir, "rr");
  copyFileSync(built, bin); // a rebuild mid-run cannot change what is measured
  chmodSync(bin, 0o755);
  const root = join(dir, "rr-root"), runroot = join(dir, "rr-run");
  const cmd = [bin, "--root", root, "--runroot", runroot];
  runAsUser(u, [...cmd, "load", "-i", archive]);
  await fill(u, count, (i) => [...cmd, "run", "--name", `ps${i}`, "busybox", "true"]);
  return { cmd, cleanup: () => bestEffort(u, [...cmd, "unshare", "rm", "-rf", root, runroot]) };
}

async function podmanTool(u: UserEnv, dir: string, archive: string): Promise<Tool> {
  if (!Bun.which("podman")) throw new Error("podman is not installed");
  const root = join(dir, "podman-root"), runroot = join(dir, "podman-run");
  const cmd = ["podman", "--root", root, "--runroot", runroot, "--cgroup-manager=cgroupfs", "--events-backend=file"];
  const cleanup = () => {
    // removing the containers frees their locks: podman keeps 2048 per user in /dev/shm, shared by every store
    bestEffort(u, [...cmd, "rm", "-a", "-f"]);
    bestEffort(u, [...cmd, "unshare", "rm", "-rf", root, runroot]);
    // rootless podman leaves a pause process holding its user namespace
    const pidFile = join(u.xdgRuntimeDir, "libpod", "tmp", "pause.pid");
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, "utf8").trim());
      if (pid > 1) try { process.kill(pid, "SIGKILL"); } catch { /* gone */ }
    }
  };
  try {
    runAsUser(u, [...cmd, "load", "-i", archive]);
    await fill(u, count, (i) => [...cmd, "create", "--name", `ps${i}`, "busybox", "true"]);
    return { cmd, cleanup };
  } catch (e) {
    cleanup();
    throw e;
  }
}

async function main(): Promise<void> {
  const { uid, gid } = await ensureUser();
  const dir = mkdtempSync(join(tmpdir(), "rr-bench-ps-"));
  chmodSync(dir, 0o755);
  const u: UserEnv = { user: BENCH_USER, uid, gid, home: join(dir, "home"), xdgRuntimeDir: join(dir, "xdg") };
  const tools: Tool[] = [];
  const rows: ResultRow[] = [];
  try {
    Bun.spawnSync(["mkdir", "-m", "700", u.home, u.xdgRuntimeDir]);
    Bun.spawnSync(["chown", "-R", `${uid}:${gid}`, dir]);
    const { archive } = makeBusyboxFixture(dir, u);
    const measured: { name: string; argv: string[] }[] = [{ name: "true", argv: asUser(u, ["true"]) }];
    const t0 = performance.now();
    const rr = await rrTool(u, dir, archive);
    tools.push(rr);
    console.error(`rr: ${count} containers made in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    measured.push({ name: "rr", argv: asUser(u, [...rr.cmd, "ps", "-a"]) }, { name: "rr-json", argv: asUser(u, [...rr.cmd, "ps", "-a", "--format", "json"]) });
    try {
      const t1 = performance.now();
      const podman = await podmanTool(u, dir, archive);
      tools.push(podman);
      console.error(`podman: ${count} containers made in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
      measured.push({ name: "podman", argv: asUser(u, [...podman.cmd, "ps", "-a"]) }, { name: "podman-json", argv: asUser(u, [...podman.cmd, "ps", "-a", "--format", "json"]) });
    } catch (e) {
      rows.push({ name: "podman", unavailable: (e as Error).message.split("\n")[0]! });
    }

    // Both list every container: a tool that lists fewer is not measured.
    for (const r of measured.filter((r) => r.name !== "true" && !r.name.endsWith("json"))) {
      const listed = Bun.spawnSync([...r.argv.slice(0, -1), "-a", "-q"]).stdout.toString().trim().split("\n").length;
      if (listed !== count) throw new Error(`${r.name} ps -a -q lists ${listed} containers, not ${count}`);
    }
    const samples = new Map<string, Sample[]>(measured.map((r) => [r.name, []]));
    for (const r of measured) runOnce(r.argv); // warm-up: page cache
    for (let round = 1; round <= rounds; round++) {
      for (const r of measured) {
        const s = runOnce(r.argv);
        if (s.exitCode !== 0) throw new Error(`${r.name} failed in round ${round}: ${failureLine(s)}`);
        samples.get(r.name)!.push(s);
      }
    }
    for (const r of measured) {
      const rss = [1, 2, 3].map(() => peakRssKb(r.argv)).filter((k): k is number => k !== undefined);
      rows.unshift({ name: r.name, summary: summarize(samples.get(r.name)!, rss.length ? Math.max(...rss) : undefined) });
    }
    const order = ["true", "rr", "rr-json", "podman", "podman-json"];
    rows.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));

    const version = Bun.spawnSync([rr.cmd[0]!, "--version"]).stdout.toString().trim();
    console.log(`\`ps -a\` over ${count} stopped containers, rootless as ${BENCH_USER}; ${version}; ${rounds} rounds interleaved`);
    console.log(`${navigator.hardwareConcurrency} cores, kernel ${Bun.spawnSync(["uname", "-r"]).stdout.toString().trim()}\n`);
    console.log(resultsTable(rows, "rr"));
    console.log();
    for (const r of measured) console.log(`${r.name}: ${r.argv.slice(r.argv.indexOf("-i") + 1).filter((a) => !/^[A-Z_]+=/.test(a)).join(" ")}`);
    if (nsNote) console.log(`note: ${nsNote}`);
    const rrMed = rows.find((r) => r.name === "rr")?.summary?.medianMs;
    const wrapper = rows.find((r) => r.name === "true")?.summary?.medianMs ?? 0;
    const podmanMed = rows.find((r) => r.name === "podman")?.summary?.medianMs;
    console.log();
    console.log(`Goal: rr ps -a over ${count} containers under ${GOAL_MS} ms`);
    if (rrMed !== undefined) {
      console.log(`  under ${GOAL_MS} ms: ${rrMed < GOAL_MS ? "PASS" : "MISS"}  (rr ${ms(rrMed)} ms with the setpriv wrapper, ${ms(rrMed - wrapper)} ms without)` +
        (podmanMed !== undefined ? `; podman ${ms(podmanMed)} ms = ${ratio(podmanMed, rrMed)} rr` : ""));
    }
  } finally {
    for (const t of tools) t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
