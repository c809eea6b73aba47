/**
 * Pull benchmark: a cold pull (download, verify, unpack) of a ~220 MB
 * four-layer gzip image from Debian's docker-registry on 127.0.0.1, rr
 * beside podman and skopeo+umoci, with `tar -xzf` of the same layers as the
 * floor. All rootless as the same user, fresh state every run, interleaved
 * round by round. Run as root:
 *
 *   node_modules/.bin/bun bench/pull.ts [--rounds 3] [--only rr,tar] [--rr-baseline FILE] [--dir DIR]
 *
 * `--rr-baseline` adds a row `rr-baseline` for another rr binary (before/after
 * in one run). `--dir` puts the stores and the image files elsewhere than
 * the temp dir, e.g. on tmpfs (/dev/shm) to take the disk out of the
 * comparison. Informational only: it never fails on a timing.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { BENCH_USER, ensureUser, type UserEnv } from "./lib/as-user.ts";
import { writeBigImage } from "./lib/big-image.ts";
import { failureLine, runOnceWithRss, summarize, type Sample } from "./lib/measure.ts";
import { enterPrivateMountNsIfNeeded } from "./lib/private-mount-ns.ts";
import { podmanPullPeer, rrPullPeer, skopeoUmociPeer, tarFloorPeer, type PullContext, type PullPeer } from "./lib/pull-peers.ts";
import { ms, ratio, resultsTable, type ResultRow } from "./lib/report.ts";
import { skopeoCopy, startRegistry } from "../test/helpers/registry.ts";

const REPO = join(import.meta.dir, "..");

const { values: opts } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    only: { type: "string" },
    "rr-baseline": { type: "string" },
    dir: { type: "string" },
  },
});
const rounds = Number(opts.rounds);
if (!(rounds > 0)) throw new Error("--rounds must be > 0");
if (process.getuid?.() !== 0) {
  console.error("pull: run me as root; I run the tools rootless as", BENCH_USER);
  process.exit(2);
}
const ns = enterPrivateMountNsIfNeeded();
if (ns && "exitCode" in ns) process.exit(ns.exitCode);
const nsNote = ns && "note" in ns ? ns.note : undefined;

/** A private copy, so a rebuild mid-run cannot change what is measured. */
function copyBinary(from: string, to: string): string {
  if (from === join(REPO, "dist", "rr") && !existsSync(from)) {
    const r = Bun.spawnSync([process.execPath, "run", "build.ts"], { cwd: REPO, stdout: "inherit", stderr: "inherit" });
    if (r.exitCode !== 0) throw new Error("building dist/rr failed");
  }
  copyFileSync(from, to);
  chmodSync(to, 0o755);
  return to;
}

/** Rootless podman leaves a pause process holding its user namespace. */
function killPodmanPause(u: UserEnv): void {
  const pidFile = join(u.xdgRuntimeDir, "libpod", "tmp", "pause.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  if (pid > 1) try { process.kill(pid, "SIGKILL"); } catch { /* already gone */ }
}

async function main(): Promise<void> {
  const { uid, gid } = await ensureUser();
  const dir = mkdtempSync(join(opts.dir ?? tmpdir(), "rr-bench-pull-"));
  chmodSync(dir, 0o755);
  const u: UserEnv = { user: BENCH_USER, uid, gid, home: join(dir, "home"), xdgRuntimeDir: join(dir, "xdg") };
  const registry = await startRegistry();
  try {
    mkdirSync(u.home, { mode: 0o700 });
    mkdirSync(u.xdgRuntimeDir, { mode: 0o700 });
    const work = join(dir, "work");
    mkdirSync(work, { mode: 0o755 });
    Bun.spawnSync(["chown", "-R", `${uid}:${gid}`, u.home, u.xdgRuntimeDir, work]);

    console.error("building the image and pushing it to the local registry…");
    const img = writeBigImage(join(dir, "image"));
    const ref = `${registry.host}/big:1`;
    await skopeoCopy(`oci:${img.layoutDir}:big`, `docker://${ref}`);
    const compressed = img.layerFiles.reduce((n, f) => n + Bun.file(f).size, 0);

    const ctx: PullContext = { u, dir: work, ref, layerFiles: img.layerFiles };
    const rr = copyBinary(join(REPO, "dist", "rr"), join(dir, "rr"));
    const version = Bun.spawnSync([rr, "--version"]).stdout.toString().trim();
    const factories: [string, () => PullPeer][] = [
      ["rr", () => rrPullPeer(ctx, rr)],
      ...(opts["rr-baseline"] ? [["rr-baseline", () => rrPullPeer(ctx, copyBinary(opts["rr-baseline"]!, join(dir, "rr-baseline")), "rr-baseline")] as [string, () => PullPeer]] : []),
      ["podman", () => podmanPullPeer(ctx)],
      ["skopeo+umoci", () => skopeoUmociPeer(ctx)],
      ["tar -xzf", () => tarFloorPeer(ctx)],
    ];
    const only = opts.only?.split(",");
    const chosen = factories.filter(([n]) => !only || only.some((o) => n.startsWith(o)));
    const peers = chosen.map(([, make]) => make());

    const samples = new Map<string, (Sample & { peakRssKb?: number })[]>(peers.map((p) => [p.name, []]));
    const failed = new Map<string, string>();
    const rssFile = join(dir, "rss");
    for (let round = 1; round <= rounds; round++) {
      for (const p of peers) {
        if (failed.has(p.name)) continue;
        p.prepare();
        const s = runOnceWithRss(p.argv, rssFile);
        p.reset();
        if (p.name === "podman") killPodmanPause(u);
        if (s.exitCode === 0) samples.get(p.name)!.push(s);
        else failed.set(p.name, `failed in round ${round}: ${failureLine(s)}`);
        console.error(`round ${round} ${p.name}: ${s.exitCode === 0 ? `${ms(s.wallMs)} ms` : failureLine(s)}`);
      }
    }
    const rows: ResultRow[] = peers.map((p) => {
      const reason = failed.get(p.name);
      if (reason) return { name: p.name, unavailable: reason };
      const got = samples.get(p.name)!;
      const rss = got.map((s) => s.peakRssKb).filter((k): k is number => k !== undefined);
      return { name: p.name, summary: summarize(got, rss.length ? Math.max(...rss) : undefined) };
    });

    const mb = (n: number) => `${(n / 1e6).toFixed(0)} MB`;
    console.log(`cold pull of a four-layer gzip image (${mb(compressed)} compressed, ${mb(img.uncompressedBytes)} unpacked) from docker-registry on 127.0.0.1`);
    console.log(`rootless as ${BENCH_USER}; ${version}; ${rounds} rounds interleaved, fresh state every run`);
    const fs = Bun.spawnSync(["stat", "-f", "-c", "%T", dir]).stdout.toString().trim();
    console.log(`${navigator.hardwareConcurrency} cores, kernel ${Bun.spawnSync(["uname", "-r"]).stdout.toString().trim()}, stores on ${fs}\n`);
    console.log(resultsTable(rows, "rr"));
    console.log();
    for (const p of peers) console.log(`${p.name}: ${p.argv.slice(p.argv.indexOf("-i") + 1).filter((a) => !/^[A-Z_]+=/.test(a)).join(" ")}${p.note ? `\n  (${p.note})` : ""}`);
    if (nsNote) console.log(`note: ${nsNote}`);
    const med = (n: string) => rows.find((r) => r.name === n)?.summary?.medianMs;
    const rrMs = med("rr"), floor = med("tar -xzf");
    if (rrMs !== undefined && floor !== undefined) {
      console.log(`\nGoal: at or below the tar floor: ${rrMs <= floor ? "PASS" : "MISS"}  (rr ${ms(rrMs)} ms = ${ratio(rrMs, floor)} tar ${ms(floor)} ms)`);
    }
  } finally {
    await registry.cleanup();
    killPodmanPause(u);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
