/**
 * One-shot benchmark: `rr run --rm busybox true` beside bwrap, crun and
 * podman, all rootless as the same unprivileged user on the same busybox
 * rootfs, interleaved round by round. Run as root:
 *
 *   node_modules/.bin/bun bench/run-oneshot.ts [--rounds 20] [--warmup 2]
 *
 * Informational only: it never fails on a timing.
 */
import { chmodSync, copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { BENCH_USER, ensureUser, type UserEnv } from "./lib/as-user.ts";
import { makeBusyboxFixture } from "./lib/busybox-fixture.ts";
import { failureLine, peakRssKb, runOnce, summarize, type Sample } from "./lib/measure.ts";
import {
  baseline, bwrapPeer, crunPeer, podmanNoNetPeer, podmanPeer, rrLikeCrunPeer, rrPeer, type Peer, type PeerContext,
} from "./lib/peers.ts";
import { enterPrivateMountNsIfNeeded } from "./lib/private-mount-ns.ts";
import { ms, ratio, resultsTable, type ResultRow } from "./lib/report.ts";

const REPO = join(import.meta.dir, "..");

const { values: opts } = parseArgs({
  options: { rounds: { type: "string", default: "20" }, warmup: { type: "string", default: "2" } },
});
const rounds = Number(opts.rounds), warmup = Number(opts.warmup);
if (!(rounds > 0) || !(warmup >= 0)) throw new Error("--rounds must be > 0 and --warmup >= 0");
if (process.getuid?.() !== 0) {
  console.error("run-oneshot: run me as root; I run the tools rootless as", BENCH_USER);
  process.exit(2);
}

const ns = enterPrivateMountNsIfNeeded();
if (ns && "exitCode" in ns) process.exit(ns.exitCode);
const nsNote = ns && "note" in ns ? ns.note : undefined;

/** dist/rr, copied so a rebuild by someone else mid-run cannot change what is measured. */
function rrBinary(dir: string): string {
  const built = join(REPO, "dist", "rr");
  if (!existsSync(built)) {
    const r = Bun.spawnSync([process.execPath, "run", "build.ts"], { cwd: REPO, stdout: "inherit", stderr: "inherit" });
    if (r.exitCode !== 0) throw new Error("building dist/rr failed");
  }
  const copy = join(dir, "rr");
  copyFileSync(built, copy);
  chmodSync(copy, 0o755);
  return copy;
}

async function main(): Promise<void> {
  const { uid, gid } = await ensureUser();
  const dir = mkdtempSync(join(tmpdir(), "rr-bench-"));
  chmodSync(dir, 0o755);
  const u: UserEnv = { user: BENCH_USER, uid, gid, home: join(dir, "home"), xdgRuntimeDir: join(dir, "xdg") };
  const peers: Peer[] = [];
  try {
    Bun.spawnSync(["mkdir", "-m", "700", u.home, u.xdgRuntimeDir]);
    Bun.spawnSync(["chown", "-R", `${uid}:${gid}`, dir]);
    const ctx: PeerContext = { u, dir, fixture: makeBusyboxFixture(dir, u), rrBinary: rrBinary(dir) };
    const version = Bun.spawnSync([ctx.rrBinary, "--version"]).stdout.toString().trim();

    const rows: ResultRow[] = [];
    const factories: [string, (c: PeerContext) => Peer][] = [
      ["true", baseline], ["rr", rrPeer], ["rr-like-crun", rrLikeCrunPeer], ["bwrap", bwrapPeer], ["crun", crunPeer],
      ["podman", podmanPeer], ["podman-nonet", podmanNoNetPeer],
    ];
    for (const [name, make] of factories) {
      try {
        peers.push(make(ctx));
      } catch (e) {
        rows.push({ name, unavailable: (e as Error).message.split("\n")[0] });
      }
    }

    // Warm-up (page cache, first-run store work), and a peer that fails here drops out.
    const running: Peer[] = [];
    for (const p of peers) {
      const fail = Array.from({ length: Math.max(1, warmup) }, () => runOnce(p.argv)).find((s) => s.exitCode !== 0);
      if (fail) rows.push({ name: p.name, unavailable: failureLine(fail) });
      else running.push(p);
    }

    const samples = new Map<string, Sample[]>(running.map((p) => [p.name, []]));
    const failed = new Map<string, string>();
    for (let round = 1; round <= rounds; round++) {
      for (const p of running) {
        if (failed.has(p.name)) continue;
        const s = runOnce(p.argv);
        if (s.exitCode === 0) samples.get(p.name)!.push(s);
        else failed.set(p.name, `failed in round ${round}: ${failureLine(s)}`);
      }
    }
    // Peak RSS in separate runs: /usr/bin/time would add its own fork to the timed ones.
    for (const p of running) {
      const reason = failed.get(p.name);
      if (reason) { rows.push({ name: p.name, unavailable: reason }); continue; }
      const rss = [1, 2, 3].map(() => peakRssKb(p.argv)).filter((k): k is number => k !== undefined);
      rows.push({ name: p.name, summary: summarize(samples.get(p.name)!, rss.length ? Math.max(...rss) : undefined) });
    }
    const order = factories.map(([n]) => n);
    rows.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));

    console.log(`one-shot \`run --rm busybox true\`, rootless as ${BENCH_USER}; ${version}; ${rounds} rounds interleaved, ${warmup} warm-up`);
    console.log(`${navigator.hardwareConcurrency} cores, kernel ${Bun.spawnSync(["uname", "-r"]).stdout.toString().trim()}\n`);
    console.log(resultsTable(rows, "rr"));
    console.log();
    for (const p of peers) console.log(`${p.name}: ${p.argv.slice(p.argv.indexOf("-i") + 1).filter((a) => !/^[A-Z_]+=/.test(a)).join(" ")}${p.note ? `\n  (${p.note})` : ""}`);
    if (nsNote) console.log(`note: ${nsNote}`);
    console.log();
    printGoals(rows);
  } finally {
    for (const p of peers) p.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

function printGoals(rows: ResultRow[]): void {
  const med = (name: string) => rows.find((r) => r.name === name)?.summary?.medianMs;
  const rr = med("rr"), crun = med("crun"), podman = med("podman"), like = med("rr-like-crun");
  const verdict = (ok: boolean) => (ok ? "PASS" : "MISS");
  console.log("Goal: within 2× of crun and more than 10× faster than podman");
  console.log(rr === undefined || crun === undefined
    ? "  within 2× of crun:           n/a (rr or crun unavailable)"
    : `  within 2× of crun:           ${verdict(rr <= 2 * crun)}  (rr ${ms(rr)} ms = ${ratio(rr, crun)} crun ${ms(crun)} ms` +
      `${like === undefined ? "" : `; like-for-like rr-like-crun = ${ratio(like, crun)}`})`);
  console.log(rr === undefined || podman === undefined
    ? "  >10× faster than podman:     n/a (rr or podman unavailable)"
    : `  >10× faster than podman:     ${verdict(podman > 10 * rr)}  (podman ${ms(podman)} ms = ${ratio(podman, rr)} rr)`);
}

await main();
