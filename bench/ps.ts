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
import { rmSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { asUser, BENCH_USER, cleanupAsUser, runAsUser, type UserEnv } from "./lib/as-user.ts";
import { makeBenchDir } from "./lib/bench-dir.ts";
import { makeBusyboxFixture } from "./lib/busybox-fixture.ts";
import { machineLine, toolVersion } from "./lib/machine.ts";
import { runOnce } from "./lib/measure.ts";
import { killPodmanPause } from "./lib/podman-pause.ts";
import { errorLine, medianOf, ms, passOrMiss, printCommands, ratio, resultsTable, type ResultRow } from "./lib/report.ts";
import { interleave, resultRows } from "./lib/rounds.ts";
import { DIST_RR, rrBinary } from "./lib/rr-binary.ts";
import { startAsRoot } from "./lib/start-as-root.ts";
import { podmanCli, removeStore, rrCli, storeIn } from "./lib/stores.ts";

const GOAL_MS = 50;

const { values: opts } = parseArgs({
  options: {
    containers: { type: "string", default: "500" },
    rounds: { type: "string", default: "20" },
    rr: { type: "string", default: DIST_RR },
    parallel: { type: "string", default: "4" },
  },
});
const count = Number(opts.containers), rounds = Number(opts.rounds), parallel = Number(opts.parallel);
if (!(count > 0) || !(rounds > 0) || !(parallel > 0)) throw new Error("--containers, --rounds and --parallel must be > 0");
const nsNote = startAsRoot("ps bench");

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

async function rrTool(u: UserEnv, dir: string, archive: string): Promise<Tool> {
  const store = storeIn(dir, "rr");
  const cmd = rrCli(rrBinary(dir, resolve(opts.rr!), "build it first (npm run build)"), store);
  runAsUser(u, [...cmd, "load", "-i", archive]);
  await fill(u, count, (i) => [...cmd, "run", "--name", `ps${i}`, "busybox", "true"]);
  return { cmd, cleanup: () => removeStore(u, cmd, store) };
}

async function podmanTool(u: UserEnv, dir: string, archive: string): Promise<Tool> {
  if (!Bun.which("podman")) throw new Error("podman is not installed");
  const store = storeIn(dir, "podman");
  const cmd = podmanCli(store);
  const cleanup = () => {
    // removing the containers frees their locks: podman keeps 2048 per user in /dev/shm, shared by every store
    cleanupAsUser(u, [...cmd, "rm", "-a", "-f"]);
    removeStore(u, cmd, store);
    killPodmanPause(u);
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
  const { dir, u } = await makeBenchDir("rr-bench-ps-");
  const tools: Tool[] = [];
  const rows: ResultRow[] = [];
  try {
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
      rows.push({ name: "podman", unavailable: errorLine(e) });
    }

    // Both list every container: a tool that lists fewer is not measured.
    for (const r of measured.filter((r) => r.name !== "true" && !r.name.endsWith("json"))) {
      const listed = Bun.spawnSync([...r.argv.slice(0, -1), "-a", "-q"]).stdout.toString().trim().split("\n").length;
      if (listed !== count) throw new Error(`${r.name} ps -a -q lists ${listed} containers, not ${count}`);
    }
    for (const r of measured) runOnce(r.argv); // warm-up: page cache
    const timed = interleave(measured, rounds, (r) => runOnce(r.argv));
    for (const [name, why] of timed.failed) throw new Error(`${name} ${why}`);
    rows.push(...resultRows(measured, timed));
    const order = ["true", "rr", "rr-json", "podman", "podman-json"];
    rows.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));

    const version = toolVersion([rr.cmd[0]!, "--version"]);
    console.log(`\`ps -a\` over ${count} stopped containers, rootless as ${BENCH_USER}; ${version}; ${rounds} rounds interleaved`);
    console.log(`${machineLine()}\n`);
    console.log(resultsTable(rows, "rr"));
    console.log();
    printCommands(measured);
    if (nsNote) console.log(`note: ${nsNote}`);
    const rrMed = medianOf(rows, "rr"), wrapper = medianOf(rows, "true") ?? 0, podmanMed = medianOf(rows, "podman");
    console.log();
    console.log(`Goal: rr ps -a over ${count} containers under ${GOAL_MS} ms`);
    if (rrMed !== undefined) {
      console.log(`  under ${GOAL_MS} ms: ${passOrMiss(rrMed < GOAL_MS)}  (rr ${ms(rrMed)} ms with the setpriv wrapper, ${ms(rrMed - wrapper)} ms without)` +
        (podmanMed !== undefined ? `; podman ${ms(podmanMed)} ms = ${ratio(podmanMed, rrMed)} rr` : ""));
    }
  } finally {
    for (const t of tools) t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
