/**
 * `exec CONTAINER true` into a running busybox container: rr beside podman,
 * both rootless as the same user, interleaved round by round. Run as root:
 *
 *   node_modules/.bin/bun bench/exec.ts [--rounds 20] [--warmup 2] [--rr dist/rr]
 *
 * Informational only: it never fails on a timing.
 */
import { rmSync } from "node:fs";
import { parseArgs } from "node:util";
import type { Subprocess } from "bun";
import { asUser, BENCH_USER, cleanupAsUser, runAsUser, type UserEnv } from "./lib/as-user.ts";
import { makeBenchDir } from "./lib/bench-dir.ts";
import { makeBusyboxFixture } from "./lib/busybox-fixture.ts";
import { machineLine } from "./lib/machine.ts";
import { runOnce } from "./lib/measure.ts";
import { killPodmanPause } from "./lib/podman-pause.ts";
import { resultsTable } from "./lib/report.ts";
import { interleave, resultRows } from "./lib/rounds.ts";
import { DIST_RR, rrBinary } from "./lib/rr-binary.ts";
import { setUpEach } from "./lib/set-up-peers.ts";
import { startAsRoot } from "./lib/start-as-root.ts";
import { podmanCli, removeStore, rrCli, storeIn } from "./lib/stores.ts";

const { values: opts } = parseArgs({
  options: {
    rounds: { type: "string", default: "20" }, warmup: { type: "string", default: "2" },
    rr: { type: "string", default: DIST_RR },
  },
});
const rounds = Number(opts.rounds), warmup = Number(opts.warmup);
const nsNote = startAsRoot("exec bench");

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
async function rrTarget(u: UserEnv, dir: string, bin: string, archive: string): Promise<Target> {
  const store = storeIn(dir, "rr");
  const rr = rrCli(bin, store);
  runAsUser(u, [...rr, "load", "-i", archive]);
  const holder: Subprocess = Bun.spawn(asUser(u, [...rr, "run", "--rm", "--name", "bench", "busybox", "sleep", "3600"]), { stdio: ["ignore", "ignore", "inherit"] });
  await until("rr's container", () => runOnce(asUser(u, [...rr, "exec", "bench", "true"])).exitCode === 0);
  return {
    name: "rr",
    argv: asUser(u, [...rr, "exec", "bench", "true"]),
    stop: () => {
      holder.kill(9); // the container dies with its rr (pdeathsig)
      removeStore(u, rr, store);
    },
  };
}

function podmanTarget(u: UserEnv, dir: string, archive: string): Target {
  const store = storeIn(dir, "podman");
  const podman = podmanCli(store);
  const stop = () => {
    cleanupAsUser(u, [...podman, "rm", "-f", "-t", "0", "bench"]);
    removeStore(u, podman, store);
    killPodmanPause(u);
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
  const { dir, u } = await makeBenchDir("rr-bench-exec-");
  const targets: Target[] = [];
  try {
    const bin = rrBinary(dir, opts.rr!, "build it first (npm run build)");
    const { archive } = makeBusyboxFixture(dir, u);
    targets.push({ name: "true", argv: asUser(u, ["true"]), stop: () => {} });
    const rows = await setUpEach([["rr", () => rrTarget(u, dir, bin, archive)], ["podman", () => podmanTarget(u, dir, archive)]], targets);
    rows.push(...resultRows(targets, interleave(targets, rounds, (t) => runOnce(t.argv), warmup)));
    const order = ["true", "rr", "podman"];
    rows.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
    console.log(`\`exec CONTAINER true\` into a running busybox, rootless as ${BENCH_USER}; ${rounds} rounds interleaved, ${warmup} warm-up`);
    console.log(`${machineLine()}\n`);
    console.log(resultsTable(rows, "rr"));
    if (nsNote) console.log(`\nnote: ${nsNote}`);
  } finally {
    for (const t of targets) t.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
