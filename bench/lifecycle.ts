/**
 * Detached-container benchmark: rr's monitor beside podman's conmon, both
 * rootless as the same unprivileged user on the same busybox image.
 *
 *   1. Memory per detached container: N `sleep` containers per tool running
 *      side by side; the RSS, PSS and USS of each monitor (smaps_rollup),
 *      and what else each `run -d` left running.
 *   2. Start and stop: `--count` sequential `run -d`, then `stop -t 0` and
 *      `rm` of each, timed per command and in total, tools interleaved
 *      round by round.
 *
 * Run as root:
 *
 *   RR_BIN=dist/rr node_modules/.bin/bun bench/lifecycle.ts [--containers 10] [--count 50] [--rounds 3]
 *
 * Informational only: it never fails on a timing.
 */
import { rmSync } from "node:fs";
import { parseArgs } from "node:util";
import { BENCH_USER, type UserEnv } from "./lib/as-user.ts";
import { makeBenchDir } from "./lib/bench-dir.ts";
import { makeBusyboxFixture } from "./lib/busybox-fixture.ts";
import { podmanDetachedPeer, rrDetachedPeer, type DetachedContext, type DetachedPeer } from "./lib/detached-peers.ts";
import { killLeftovers } from "./lib/leftovers.ts";
import { machineLine, toolVersion } from "./lib/machine.ts";
import { capture, failureLine, quantile, runOnce, type Sample } from "./lib/measure.ts";
import { podmanPausePid } from "./lib/podman-pause.ts";
import { alive, childrenOf, commandLine, commName, parentPid, pidsMarkedBy, procMemory, type ProcMemory } from "./lib/proc.ts";
import { ms, passOrMiss, printCommands, ratio, table } from "./lib/report.ts";
import { alternating } from "./lib/rounds.ts";
import { rrBinary } from "./lib/rr-binary.ts";
import { setUpEach } from "./lib/set-up-peers.ts";
import { startAsRoot } from "./lib/start-as-root.ts";

const { values: opts } = parseArgs({
  options: {
    containers: { type: "string", default: "10" },
    count: { type: "string", default: "50" },
    rounds: { type: "string", default: "3" },
  },
});
const perTool = Number(opts.containers), count = Number(opts.count), rounds = Number(opts.rounds);
if (!(perTool > 0) || !(count > 0) || !(rounds > 0)) throw new Error("--containers, --count and --rounds must be > 0");
const nsNote = startAsRoot("lifecycle");

const sleep = (msec: number) => Bun.sleepSync(msec);

interface Detached {
  name: string;
  monitor: number;
  container: number;
  /** processes the `run -d` started that are neither of the two (judged again later: some are short-lived) */
  extra: number[];
  /** the monitor carries the marker: else the left-behind check cannot see this tool's processes */
  seen: boolean;
}

interface MemoryRow {
  peer: DetachedPeer;
  started: Detached[];
  error?: string;
}

/**
 * Phase 1: `perTool` containers per tool, started alternately, all running at
 * once. Every process carrying the temp dir that a `run -d` left behind is
 * attributed to it: the monitor is expected, anything else is reported.
 */
function startForMemory(peers: DetachedPeer[], marker: string): MemoryRow[] {
  const rows: MemoryRow[] = peers.map((peer) => ({ peer, started: [] }));
  for (let i = 0; i < perTool; i++) {
    for (const row of rows) {
      if (row.error) continue;
      const name = `mem-${i}`;
      const before = new Set(pidsMarkedBy(marker));
      const r = capture(row.peer.run(name));
      if (r.exitCode !== 0) {
        row.error = `run -d failed: ${failureLine({ ...r, wallMs: 0, cpuMs: 0 })}`;
        continue;
      }
      try {
        const { monitor, container } = row.peer.pids(name, r.stdout);
        const after = pidsMarkedBy(marker);
        const extra = after.filter((p) => !before.has(p) && p !== monitor && p !== container);
        row.started.push({ name, monitor, container, extra, seen: after.includes(monitor) });
      } catch (e) {
        row.error = (e as Error).message;
      }
    }
  }
  return rows;
}

interface MemoryResult {
  name: string;
  monitorName: string;
  mem: ProcMemory[];
  /** per container: processes other than its monitor and PID 1 that it left running */
  leftBehind: string[];
  notes: string[];
  error?: string;
}

function measureMemory(rows: MemoryRow[], u: UserEnv): MemoryResult[] {
  const pause = podmanPausePid(u);
  return rows.map(({ peer, started, error }) => {
    const result: MemoryResult = { name: peer.name, monitorName: peer.monitorName, mem: [], leftBehind: [], notes: [], error };
    for (const d of started) {
      if (!alive(d.monitor)) { result.notes.push(`${d.name}: monitor ${d.monitor} is not running`); continue; }
      if (!d.seen) result.notes.push(`${d.name}: the monitor does not carry the temp dir in its environment: processes it left cannot be told apart`);
      if (parentPid(d.container) !== d.monitor) result.notes.push(`${d.name}: PID 1 ${d.container}'s parent is ${parentPid(d.container)}, not the monitor ${d.monitor}`);
      const m = procMemory(d.monitor);
      if (m) result.mem.push(m);
      const kids = childrenOf(d.monitor).filter((p) => p !== d.container);
      const extra = [...d.extra.filter((p) => p !== pause && alive(p)), ...kids];
      for (const p of extra) result.leftBehind.push(`${d.name}: ${commName(p)} (${p}) ${commandLine(p).slice(0, 120)}`);
    }
    if (peer.name === "podman" && pause !== undefined) result.notes.push(`one pause process (${pause}, ${procMemory(pause)?.pssKb ?? "?"} KB PSS) shared by all containers`);
    return result;
  });
}

function memoryTable(results: MemoryResult[]): string {
  const med = (r: MemoryResult, k: keyof ProcMemory) => quantile(r.mem.map((m) => m[k]), 0.5);
  const base = results.find((r) => r.name === "rr" && r.mem.length);
  const body = results.map((r) => {
    if (!r.mem.length) return [r.name, r.monitorName, "-", "-", "-", "-", "-", `unavailable: ${r.error ?? "no monitor measured"}`];
    const vs = base && r !== base
      ? `${r.monitorName}/${base.monitorName} RSS ${ratio(med(r, "rssKb"), med(base, "rssKb"))} PSS ${ratio(med(r, "pssKb"), med(base, "pssKb"))}`
      : "";
    return [r.name, r.monitorName, String(r.mem.length), String(med(r, "rssKb")), String(med(r, "pssKb")), String(med(r, "ussKb")),
      String(r.leftBehind.length), vs];
  });
  return table(["tool", "monitor", "containers", "RSS KB", "PSS KB", "USS KB", "left behind", "ratio"], body);
}

/** Waits (up to 20 s) until the tool's processes are down to `expected` (monitors), so one phase's stragglers do not run into the next. */
function settle(marker: string, expected: number, u: UserEnv): void {
  const deadline = performance.now() + 20_000;
  while (performance.now() < deadline) {
    const pause = podmanPausePid(u);
    if (pidsMarkedBy(marker).filter((p) => p !== pause).length <= expected) return;
    sleep(50);
  }
  console.error(`warning: still ${pidsMarkedBy(marker).length} processes of the benchmark after 20 s; going on`);
}

interface Timings {
  total: Record<Phase, number[]>;
  each: Record<Phase, Sample[]>;
  error?: string;
}
type Phase = "run -d" | "stop -t 0" | "rm";
const PHASES: Phase[] = ["run -d", "stop -t 0", "rm"];

/** One round for one tool: `count` × run -d, then stop, then rm, each phase timed in total and per command. */
function timeRound(p: DetachedPeer, t: Timings, round: number, marker: string, u: UserEnv): void {
  const names = Array.from({ length: count }, (_, i) => `lc-${round}-${i}`);
  const argv: Record<Phase, (n: string) => string[]> = { "run -d": p.run, "stop -t 0": p.stop, rm: p.rm };
  for (const phase of PHASES) {
    const start = performance.now();
    for (const n of names) {
      const s = runOnce(argv[phase](n));
      if (s.exitCode !== 0) {
        t.error = `${phase} ${n} failed in round ${round}: ${failureLine(s)}`;
        return;
      }
      t.each[phase].push(s);
    }
    t.total[phase].push(performance.now() - start);
    settle(marker, phase === "run -d" ? count : 0, u);
    if (phase === "run -d") {
      let running: number;
      try {
        running = p.runningCount();
      } catch (e) {
        t.error = `round ${round}: ps failed: ${(e as Error).message}`;
        return;
      }
      if (running !== count) { t.error = `round ${round}: ${running} of ${count} containers running after run -d`; return; }
    }
  }
}

function timingTable(peers: DetachedPeer[], timings: Map<string, Timings>): string {
  const cols = peers.filter((p) => !timings.get(p.name)!.error);
  const base = cols.find((p) => p.name === "rr");
  const rows: string[][] = [];
  const ratioCell = (f: (t: Timings) => number) => cols.filter((p) => p !== base)
    .map((p) => (base ? `${p.name}/rr ${ratio(f(timings.get(p.name)!), f(timings.get(base.name)!))}` : "")).join("  ");
  for (const phase of PHASES) {
    const f = (t: Timings) => quantile(t.total[phase], 0.5);
    rows.push([`${count} × ${phase}, s`, ...cols.map((p) => (f(timings.get(p.name)!) / 1000).toFixed(2)), ratioCell(f)]);
  }
  for (const phase of PHASES) {
    const f = (t: Timings) => quantile(t.each[phase].map((s) => s.wallMs), 0.5);
    const p90 = (t: Timings) => quantile(t.each[phase].map((s) => s.wallMs), 0.9);
    rows.push([`one ${phase}, ms (p90)`, ...cols.map((p) => `${ms(f(timings.get(p.name)!))} (${ms(p90(timings.get(p.name)!))})`), ratioCell(f)]);
  }
  for (const phase of PHASES) {
    const f = (t: Timings) => quantile(t.each[phase].map((s) => s.cpuMs), 0.5);
    rows.push([`one ${phase}, cpu ms`, ...cols.map((p) => ms(f(timings.get(p.name)!))), ratioCell(f)]);
  }
  const out = table(["median", ...cols.map((p) => p.name), "ratio"], rows);
  // Does a command cost more with more containers (a scan of every record)? The first tenth of each phase against the last:
  // run -d goes from 0 to count containers, stop sees all of them, rm goes from count down to 1.
  const tenth = Math.max(1, Math.floor(count / 10));
  const slice = (t: Timings, phase: Phase, from: number) =>
    quantile(t.each[phase].filter((_, i) => i % count >= from && i % count < from + tenth).map((s) => s.wallMs), 0.5);
  const growth = table(["first vs last tenth, ms", ...cols.map((p) => p.name)], PHASES.map((phase) => [
    `${phase} (${tenth} of ${count})`,
    ...cols.map((p) => `${ms(slice(timings.get(p.name)!, phase, 0))} → ${ms(slice(timings.get(p.name)!, phase, count - tenth))}`),
  ]));
  const failed = peers.filter((p) => timings.get(p.name)!.error).map((p) => `${p.name}: unavailable: ${timings.get(p.name)!.error}`);
  return [out, "", growth, ...failed].join("\n");
}

function printGoal(results: MemoryResult[]): void {
  const rr = results.find((r) => r.name === "rr"), pm = results.find((r) => r.name === "podman");
  console.log("Goal: monitor no bigger than conmon");
  if (!rr?.mem.length || !pm?.mem.length) { console.log("  n/a (rr or podman unavailable)"); return; }
  const med = (r: MemoryResult, k: keyof ProcMemory) => quantile(r.mem.map((m) => m[k]), 0.5);
  const ok = med(rr, "rssKb") <= med(pm, "rssKb") && med(rr, "pssKb") <= med(pm, "pssKb");
  console.log(`  ${passOrMiss(ok)}  (rr-monitor RSS ${med(rr, "rssKb")} KB, PSS ${med(rr, "pssKb")} KB; ` +
    `conmon RSS ${med(pm, "rssKb")} KB, PSS ${med(pm, "pssKb")} KB)`);
}

async function main(): Promise<void> {
  const { dir, u } = await makeBenchDir("rr-bench-lifecycle-");
  const peers: DetachedPeer[] = [];
  try {
    const ctx: DetachedContext = { u, dir, fixture: makeBusyboxFixture(dir, u), rrBinary: rrBinary(dir) };
    const unavailable = (await setUpEach([["rr", () => rrDetachedPeer(ctx)], ["podman", () => podmanDetachedPeer(ctx)]], peers))
      .map((r) => `${r.name}: unavailable: ${r.unavailable}`);

    console.error(`memory: ${perTool} detached containers per tool…`);
    const started = startForMemory(peers, dir);
    sleep(1000); // let every monitor reach its steady state
    const memory = measureMemory(started, u);
    for (const { peer, started: s } of started) {
      for (const d of s) capture(peer.stop(d.name));
      for (const d of s) capture(peer.rm(d.name));
    }
    settle(dir, 0, u);

    const timings = new Map<string, Timings>(peers.map((p) => [p.name, {
      total: { "run -d": [], "stop -t 0": [], rm: [] }, each: { "run -d": [], "stop -t 0": [], rm: [] },
    }]));
    for (let round = 1; round <= rounds; round++) {
      for (const p of alternating(peers, round)) {
        const t = timings.get(p.name)!;
        if (t.error) continue;
        console.error(`round ${round}/${rounds}: ${p.name}…`);
        timeRound(p, t, round, dir, u);
        if (t.error) console.error(`${p.name}: ${t.error}`);
      }
    }

    console.log(`detached containers, rootless as ${BENCH_USER}; ${toolVersion([ctx.rrBinary, "--version"])}; ` +
      `${toolVersion(["podman", "--version"])}; ${toolVersion(["conmon", "--version"])}`);
    console.log(`${machineLine()}\n`);
    console.log(`Memory per detached container: ${perTool} \`sleep 1000\` containers per tool, all running at once; median per monitor`);
    console.log(memoryTable(memory));
    for (const r of memory) {
      for (const l of r.leftBehind) console.log(`  ${r.name} left behind: ${l}`);
      for (const n of r.notes) console.log(`  ${r.name}: ${n}`);
    }
    console.log(`\nStart and stop ${count} detached containers one after another: ${rounds} rounds, tools interleaved`);
    console.log(timingTable(peers, timings));
    console.log();
    printCommands(peers.map((p) => ({ name: p.name, argv: p.run("NAME"), note: p.note })));
    for (const l of unavailable) console.log(l);
    if (nsNote) console.log(`note: ${nsNote}`);
    console.log();
    printGoal(memory);
  } finally {
    for (const p of peers) p.removeContainers();
    killLeftovers(dir, podmanPausePid(u)); // the pause process is expected: rootless podman's, shared
    for (const p of peers) p.removeStore();
    killLeftovers(dir, podmanPausePid(u)); // podman unshare starts a new pause process
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
