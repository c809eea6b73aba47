/**
 * One-shot benchmark: `rr run --rm busybox true` beside bwrap, crun and
 * podman, all rootless as the same unprivileged user on the same busybox
 * rootfs, interleaved round by round. Run as root:
 *
 *   node_modules/.bin/bun bench/run-oneshot.ts [--rounds 20] [--warmup 2]
 *
 * Informational only: it never fails on a timing.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { BENCH_USER } from "./lib/as-user.ts";
import { makeBenchDir } from "./lib/bench-dir.ts";
import { makeBusyboxFixture } from "./lib/busybox-fixture.ts";
import { machineLine, toolVersion } from "./lib/machine.ts";
import { failureLine, runOnce } from "./lib/measure.ts";
import {
  baseline, bwrapPeer, crunPeer, podmanNoNetPeer, podmanPeer, rrLikeCrunPeer, rrPeer, type Peer, type PeerContext,
} from "./lib/peers.ts";
import { medianOf, ms, passOrMiss, printCommands, ratio, resultsTable, type ResultRow } from "./lib/report.ts";
import { interleave, resultRows } from "./lib/rounds.ts";
import { builtRrBinary } from "./lib/rr-binary.ts";
import { setUpEach } from "./lib/set-up-peers.ts";
import { startAsRoot } from "./lib/start-as-root.ts";

const { values: opts } = parseArgs({
  options: { rounds: { type: "string", default: "20" }, warmup: { type: "string", default: "2" } },
});
const rounds = Number(opts.rounds), warmup = Number(opts.warmup);
if (!(rounds > 0) || !(warmup >= 0)) throw new Error("--rounds must be > 0 and --warmup >= 0");
const nsNote = startAsRoot("run-oneshot");

async function main(): Promise<void> {
  const { dir, u } = await makeBenchDir("rr-bench-");
  const peers: Peer[] = [];
  try {
    const ctx: PeerContext = { u, dir, fixture: makeBusyboxFixture(dir, u), rrBinary: builtRrBinary(join(dir, "rr")) };
    const version = toolVersion([ctx.rrBinary, "--version"]);

    const factories: [string, (c: PeerContext) => Peer][] = [
      ["true", baseline], ["rr", rrPeer], ["rr-like-crun", rrLikeCrunPeer], ["bwrap", bwrapPeer], ["crun", crunPeer],
      ["podman", podmanPeer], ["podman-nonet", podmanNoNetPeer],
    ];
    const rows: ResultRow[] = await setUpEach(factories.map(([name, make]) => [name, () => make(ctx)] as const), peers);

    // Warm-up (page cache, first-run store work), and a peer that fails here drops out.
    const running: Peer[] = [];
    for (const p of peers) {
      const fail = Array.from({ length: Math.max(1, warmup) }, () => runOnce(p.argv)).find((s) => s.exitCode !== 0);
      if (fail) rows.push({ name: p.name, unavailable: failureLine(fail) });
      else running.push(p);
    }
    rows.push(...resultRows(running, interleave(running, rounds, (p) => runOnce(p.argv))));
    const order = factories.map(([n]) => n);
    rows.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));

    console.log(`one-shot \`run --rm busybox true\`, rootless as ${BENCH_USER}; ${version}; ${rounds} rounds interleaved, ${warmup} warm-up`);
    console.log(`${machineLine()}\n`);
    console.log(resultsTable(rows, "rr"));
    console.log();
    printCommands(peers);
    if (nsNote) console.log(`note: ${nsNote}`);
    console.log();
    printGoals(rows);
  } finally {
    for (const p of peers) p.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

function printGoals(rows: ResultRow[]): void {
  const [rr, crun, podman, like] = ["rr", "crun", "podman", "rr-like-crun"].map((n) => medianOf(rows, n));
  console.log("Goal: within 2× of crun and more than 10× faster than podman");
  console.log(rr === undefined || crun === undefined
    ? "  within 2× of crun:           n/a (rr or crun unavailable)"
    : `  within 2× of crun:           ${passOrMiss(rr <= 2 * crun)}  (rr ${ms(rr)} ms = ${ratio(rr, crun)} crun ${ms(crun)} ms` +
      `${like === undefined ? "" : `; like-for-like rr-like-crun = ${ratio(like, crun)}`})`);
  console.log(rr === undefined || podman === undefined
    ? "  >10× faster than podman:     n/a (rr or podman unavailable)"
    : `  >10× faster than podman:     ${passOrMiss(podman > 10 * rr)}  (podman ${ms(podman)} ms = ${ratio(podman, rr)} rr)`);
}

await main();
