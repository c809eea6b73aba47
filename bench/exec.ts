/**
 * `exec CONTAINER true` into a running busybox container: rr beside podman,
 * both rootless as the same user, interleaved round by round. Run as root:
 *
 *   node_modules/.bin/bun bench/exec.ts [--rounds 20] [--warmup 2] [--rr dist/rr]
 *
 * Informational only: it never fails on a timing.
 */
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Subprocess } from "bun";
import { asUser, BENCH_USER, ensureUser, runAsUser, type UserEnv } from "./lib/as-user.ts";
import { makeBusyboxFixture } from "./lib/busybox-fixture.ts";
import { failureLine, peakRssKb, runOnce, summarize, type Sample } from "./lib/measure.ts";
import { enterPrivateMountNsIfNeeded } from "./lib/private-mount-ns.ts";
import { resultsTable, type ResultRow } from "./lib/report.ts";

const REPO = join(import.meta.dir, "..");
const { values: opts } = parseArgs({
  options: {
    rounds: { type: "string", default: "20" }, warmup: { type: "string", default: "2" },
    rr: { type: "string", default: join(REPO, "dist", "rr") },
  },
});
const rounds = Number(opts.rounds), warmup = Number(opts.warmup);
if (process.getuid?.() !== 0) {
  console.error("exec bench: run me as root; I run the tools rootless as", BENCH_USER);
  process.exit(2);
}
const ns = enterPrivateMountNsIfNeeded();
if (ns && "exitCode" in ns) process.exit(ns.exitCode);

interface Target {
  name: string;
  /** the timed command */
  argv: string[];
  /** what keeps the container running, and how to end it */
  stop(): void;
}

async function until(what: string, fn: () => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (fn()) return;
    await Bun.sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** rr has no `run -d` yet here: a foreground `rr run` in the background holds the container. */
async function rrTarget(u: UserEnv, dir: string, archive: string): Promise<Target> {
  const bin = join(dir, "rr");
  copyFileSync(opts.rr!, bin);
  chmodSync(bin, 0o755);
  const rr = [bin, "--root", join(dir, "rr-root"), "--runroot", join(dir, "rr-run")];
  runAsUser(u, [...rr, "load", "-i", archive]);
  const holder: Subprocess = Bun.spawn(asUser(u, [...rr, "run", "--rm", "--name", "bench", "busybox", "sleep", "3600"]), { stdio: ["ignore", "ignore", "inherit"] });
  await until("rr's container", () => runOnce(asUser(u, [...rr, "exec", "bench", "true"])).exitCode === 0);
  return {
    name: "rr",
    argv: asUser(u, [...rr, "exec", "bench", "true"]),
    stop: () => {
      holder.kill(9); // the container dies with its rr (pdeathsig)
      Bun.spawnSync(asUser(u, [...rr, "unshare", "rm", "-rf", join(dir, "rr-root"), join(dir, "rr-run")]));
    },
  };
}

function podmanTarget(u: UserEnv, dir: string, archive: string): Target {
  const root = join(dir, "podman-root"), runroot = join(dir, "podman-run");
  const podman = ["podman", "--root", root, "--runroot", runroot, "--cgroup-manager=cgroupfs", "--events-backend=file"];
  const stop = () => {
    Bun.spawnSync(asUser(u, [...podman, "rm", "-f", "-t", "0", "bench"]));
    Bun.spawnSync(asUser(u, [...podman, "unshare", "rm", "-rf", root, runroot]));
    // rootless podman leaves a pause process holding its user namespace: end it by its pid
    const pidFile = join(u.xdgRuntimeDir, "libpod", "tmp", "pause.pid");
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, "utf8").trim());
      if (pid > 1) try { process.kill(pid, "SIGKILL"); } catch { /* already gone */ }
    }
  };
  try {
    runAsUser(u, [...podman, "load", "-i", archive]);
    runAsUser(u, [...podman, "run", "-d", "--network", "none", "--name", "bench", "busybox", "sleep", "3600"]);
  } catch (e) {
    stop();
    throw e;
  }
  return { name: "podman", argv: asUser(u, [...podman, "exec", "bench", "true"]), stop };
}

async function main(): Promise<void> {
  const { uid, gid } = await ensureUser();
  const dir = mkdtempSync(join(tmpdir(), "rr-bench-exec-"));
  chmodSync(dir, 0o755);
  const u: UserEnv = { user: BENCH_USER, uid, gid, home: join(dir, "home"), xdgRuntimeDir: join(dir, "xdg") };
  const targets: Target[] = [];
  const rows: ResultRow[] = [];
  try {
    Bun.spawnSync(["mkdir", "-m", "700", u.home, u.xdgRuntimeDir]);
    Bun.spawnSync(["chown", "-R", `${uid}:${gid}`, dir]);
    if (!existsSync(opts.rr!)) throw new Error(`${opts.rr} is missing: build it first`);
    const { archive } = makeBusyboxFixture(dir, u);
    targets.push({ name: "true", argv: asUser(u, ["true"]), stop: () => {} });
    for (const [name, make] of [["rr", rrTarget], ["podman", podmanTarget]] as const) {
      try {
        targets.push(await make(u, dir, archive));
      } catch (e) {
        rows.push({ name, unavailable: (e as Error).message.split("\n")[0] });
      }
    }
    const samples = new Map<string, Sample[]>(targets.map((t) => [t.name, []]));
    const failed = new Map<string, string>();
    for (let round = -warmup; round < rounds; round++) {
      for (const t of targets) {
        if (failed.has(t.name)) continue;
        const s = runOnce(t.argv);
        if (s.exitCode !== 0) failed.set(t.name, failureLine(s));
        else if (round >= 0) samples.get(t.name)!.push(s);
      }
    }
    for (const t of targets) {
      const reason = failed.get(t.name);
      if (reason) { rows.push({ name: t.name, unavailable: reason }); continue; }
      const rss = [1, 2, 3].map(() => peakRssKb(t.argv)).filter((k): k is number => k !== undefined);
      rows.push({ name: t.name, summary: summarize(samples.get(t.name)!, rss.length ? Math.max(...rss) : undefined) });
    }
    const order = ["true", "rr", "podman"];
    rows.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
    console.log(`\`exec CONTAINER true\` into a running busybox, rootless as ${BENCH_USER}; ${rounds} rounds interleaved, ${warmup} warm-up`);
    console.log(`${navigator.hardwareConcurrency} cores, kernel ${Bun.spawnSync(["uname", "-r"]).stdout.toString().trim()}\n`);
    console.log(resultsTable(rows, "rr"));
    if (ns && "note" in ns) console.log(`\nnote: ${ns.note}`);
  } finally {
    for (const t of targets) t.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
