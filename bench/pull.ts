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
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { BENCH_USER } from "./lib/as-user.ts";
import { giveToUser, makeBenchDir } from "./lib/bench-dir.ts";
import { writeBigImage } from "./lib/big-image.ts";
import { machineLine, toolVersion } from "./lib/machine.ts";
import { failureLine, runOnceWithRss, summarize } from "./lib/measure.ts";
import { killPodmanPause } from "./lib/podman-pause.ts";
import { podmanPullPeer, rrPullPeer, skopeoUmociPeer, tarFloorPeer, type PullContext, type PullPeer } from "./lib/pull-peers.ts";
import { medianOf, ms, passOrMiss, printCommands, ratio, resultsTable, type ResultRow } from "./lib/report.ts";
import { interleave } from "./lib/rounds.ts";
import { builtRrBinary, privateCopy } from "./lib/rr-binary.ts";
import { startAsRoot } from "./lib/start-as-root.ts";
import { skopeoCopy, startRegistry } from "../test/helpers/registry.ts";

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
const nsNote = startAsRoot("pull");

async function main(): Promise<void> {
  // The dir stays root's (the image files are); the tools write below `work`.
  const { dir, u } = await makeBenchDir("rr-bench-pull-", { base: opts.dir, userOwnsDir: false });
  const registry = await startRegistry();
  try {
    const work = join(dir, "work");
    mkdirSync(work, { mode: 0o755 });
    giveToUser(u, work);

    console.error("building the image and pushing it to the local registry…");
    const img = writeBigImage(join(dir, "image"));
    const ref = `${registry.host}/big:1`;
    await skopeoCopy(`oci:${img.layoutDir}:big`, `docker://${ref}`);
    const compressed = img.layerFiles.reduce((n, f) => n + Bun.file(f).size, 0);

    const ctx: PullContext = { u, dir: work, ref, layerFiles: img.layerFiles };
    const rr = builtRrBinary(join(dir, "rr"));
    const version = toolVersion([rr, "--version"]);
    const factories: [string, () => PullPeer][] = [
      ["rr", () => rrPullPeer(ctx, rr)],
      ...(opts["rr-baseline"] ? [["rr-baseline", () => rrPullPeer(ctx, privateCopy(opts["rr-baseline"]!, join(dir, "rr-baseline")), "rr-baseline")] as [string, () => PullPeer]] : []),
      ["podman", () => podmanPullPeer(ctx)],
      ["skopeo+umoci", () => skopeoUmociPeer(ctx)],
      ["tar -xzf", () => tarFloorPeer(ctx)],
    ];
    const only = opts.only?.split(",");
    const chosen = factories.filter(([n]) => !only || only.some((o) => n.startsWith(o)));
    const peers = chosen.map(([, make]) => make());

    const rssFile = join(dir, "rss");
    // Every run cold: fresh empty state before it, removed after it, both outside the timing.
    const { samples, failed } = interleave(peers, rounds, (p, round) => {
      p.prepare();
      const s = runOnceWithRss(p.argv, rssFile);
      p.reset();
      if (p.name === "podman") killPodmanPause(u);
      console.error(`round ${round} ${p.name}: ${s.exitCode === 0 ? `${ms(s.wallMs)} ms` : failureLine(s)}`);
      return s;
    });
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
    console.log(`${machineLine()}, stores on ${fs}\n`);
    console.log(resultsTable(rows, "rr"));
    console.log();
    printCommands(peers);
    if (nsNote) console.log(`note: ${nsNote}`);
    const rrMs = medianOf(rows, "rr"), floor = medianOf(rows, "tar -xzf");
    if (rrMs !== undefined && floor !== undefined) {
      console.log(`\nGoal: at or below the tar floor: ${passOrMiss(rrMs <= floor)}  (rr ${ms(rrMs)} ms = ${ratio(rrMs, floor)} tar ${ms(floor)} ms)`);
    }
  } finally {
    await registry.cleanup();
    killPodmanPause(u);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
