/**
 * Build benchmark: `rr build` beside `buildah bud` on one 10-instruction
 * Dockerfile over the same busybox base, both rootless as the same
 * unprivileged user, cold (--no-cache: every step runs again) and fully
 * cached (nothing changed), interleaved round by round. Run as root:
 *
 *   RR_BIN=dist/rr node_modules/.bin/bun bench/build.ts [--rounds 10] [--warmup 1]
 *
 * Informational only: it never fails on a timing.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { asUser, BENCH_USER, runAsUser, type UserEnv } from "./lib/as-user.ts";
import { giveToUser, makeBenchDir } from "./lib/bench-dir.ts";
import { makeBusyboxFixture } from "./lib/busybox-fixture.ts";
import { machineLine, toolVersion } from "./lib/machine.ts";
import { failureLine, largestPeakRssKb, runOnce, summarize, type Sample } from "./lib/measure.ts";
import { medianOf, ms, passOrMiss, printCommands, ratio, resultsTable, type ResultRow } from "./lib/report.ts";
import { alternating } from "./lib/rounds.ts";
import { rrBinary } from "./lib/rr-binary.ts";
import { setUpEach } from "./lib/set-up-peers.ts";
import { startAsRoot } from "./lib/start-as-root.ts";
import { removeStore, rrCli, storeIn } from "./lib/stores.ts";

const { values: opts } = parseArgs({
  options: { rounds: { type: "string", default: "10" }, warmup: { type: "string", default: "1" } },
});
const rounds = Number(opts.rounds), warmup = Number(opts.warmup);
if (!(rounds > 0) || !(warmup >= 0)) throw new Error("--rounds must be > 0 and --warmup >= 0");
const nsNote = startAsRoot("build");

/** FROM and nine more: two COPY and two RUN layers, the rest config. */
const DOCKERFILE = `FROM busybox
ENV APP=/app
WORKDIR /app
COPY app.txt ./
COPY conf/ /etc/app/
RUN echo built > /app/built && cat /app/app.txt >> /app/built
RUN mkdir -p /var/data && echo data > /var/data/x
LABEL org.example.version=1
USER app
CMD ["cat", "/app/built"]
`;

interface Builder {
  name: string;
  cold: string[];
  cached: string[];
  note?: string;
  cleanup(): void;
}

function rrBuilder(u: UserEnv, dir: string, rr: string, archive: string, context: string): Builder {
  const store = storeIn(dir, "rr");
  const base = rrCli(rr, store);
  runAsUser(u, [...base, "load", "-i", archive]);
  const build = (extra: string[]) => asUser(u, [...base, "build", "-q", ...extra, "-t", "bench", context]);
  return {
    name: "rr",
    cold: build(["--no-cache"]),
    cached: build([]),
    note: "subuid range mapped, RUN on the host network (rr build's default)",
    cleanup: () => removeStore(u, base, store),
  };
}

/**
 * Rootless buildah with its own stores under the temp dir. Its default
 * isolation (an OCI runtime) is tried first; chroot isolation, which needs
 * no runtime, when that fails here. `--layers` is what makes it cache.
 * RUN uses the host's network, as rr's does by default.
 */
function buildahBuilder(u: UserEnv, dir: string, driver: "overlay" | "vfs", archive: string, context: string): Builder {
  const name = `buildah-${driver}`;
  const store = storeIn(dir, name);
  const base = ["buildah", "--root", store.root, "--runroot", store.runroot, "--storage-driver", driver];
  const cleanup = () => removeStore(u, ["buildah"], store);
  try {
    runAsUser(u, [...base, "pull", "-q", `docker-archive:${archive}`]);
    // --network host: RUN on the host's network, as rr's RUN by default (and no netavark to set up)
    const build = (iso: string, extra: string[]) =>
      asUser(u, [...base, "bud", "--isolation", iso, "--network", "host", "--layers", "--pull=never", "-q", ...extra, "-t", "bench", context]);
    const oci = runOnce(build("oci", ["--no-cache"]));
    if (oci.exitCode === 0) return { name, cold: build("oci", ["--no-cache"]), cached: build("oci", []), cleanup };
    const chroot = runOnce(build("chroot", ["--no-cache"]));
    if (chroot.exitCode !== 0) throw new Error(failureLine(chroot));
    return {
      name, cold: build("chroot", ["--no-cache"]), cached: build("chroot", []), cleanup,
      note: `--isolation chroot: the default (oci) failed here (${failureLine(oci).slice(0, 120)})`,
    };
  } catch (e) {
    cleanup();
    throw e;
  }
}

async function main(): Promise<void> {
  const { dir, u } = await makeBenchDir("rr-bench-build-");
  const builders: Builder[] = [];
  try {
    const context = join(dir, "context");
    mkdirSync(join(context, "conf"), { recursive: true });
    writeFileSync(join(context, "Dockerfile"), DOCKERFILE);
    writeFileSync(join(context, "app.txt"), "app\n");
    writeFileSync(join(context, "conf", "app.conf"), "key=value\n");
    giveToUser(u, context);
    const fixture = makeBusyboxFixture(dir, u);
    const rr = rrBinary(dir);

    const unavailable = await setUpEach([
      ["rr", () => rrBuilder(u, dir, rr, fixture.archive, context)],
      ["buildah-overlay", () => buildahBuilder(u, dir, "overlay", fixture.archive, context)],
      ["buildah-vfs", () => buildahBuilder(u, dir, "vfs", fixture.archive, context)],
    ], builders);

    // Warm-up: page cache, and the first cached build fills each cache.
    const running: Builder[] = [];
    for (const b of builders) {
      const fail = [...Array(Math.max(1, warmup))].flatMap(() => [runOnce(b.cold), runOnce(b.cached)]).find((s) => s.exitCode !== 0);
      if (fail) unavailable.push({ name: b.name, unavailable: failureLine(fail) });
      else running.push(b);
    }

    const samples = new Map<string, { cold: Sample[]; cached: Sample[] }>(running.map((b) => [b.name, { cold: [], cached: [] }]));
    const failed = new Map<string, string>();
    for (let round = 1; round <= rounds; round++) {
      console.error(`round ${round}/${rounds}`);
      for (const b of alternating(running, round)) {
        if (failed.has(b.name)) continue;
        for (const kind of ["cold", "cached"] as const) {
          const s = runOnce(b[kind]);
          if (s.exitCode === 0) samples.get(b.name)![kind].push(s);
          else { failed.set(b.name, `${kind} build failed in round ${round}: ${failureLine(s)}`); break; }
        }
      }
    }

    const rows = (kind: "cold" | "cached"): ResultRow[] => [
      ...running.map((b): ResultRow => failed.has(b.name) ? { name: b.name, unavailable: failed.get(b.name) } : {
        name: b.name,
        summary: summarize(samples.get(b.name)![kind], largestPeakRssKb(b[kind])),
      }),
      ...unavailable,
    ];
    const cold = rows("cold"), cached = rows("cached");

    console.log(`build of a 10-instruction Dockerfile (2 RUN, 2 COPY), rootless as ${BENCH_USER}; ${toolVersion([rr, "--version"])}; ` +
      `${toolVersion(["buildah", "--version"])}; ${rounds} rounds interleaved, ${warmup} warm-up`);
    console.log(`${machineLine()}\n`);
    console.log("Cold: --no-cache, every step runs again");
    console.log(resultsTable(cold, "rr"));
    console.log("\nFully cached: nothing changed, every step from the cache");
    console.log(resultsTable(cached, "rr"));
    console.log();
    printCommands(builders.map((b) => ({ ...b, argv: b.cached })));
    if (nsNote) console.log(`note: ${nsNote}`);
    console.log();
    printGoals(cold, cached);
  } finally {
    for (const b of builders) b.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

function printGoals(cold: ResultRow[], cached: ResultRow[]): void {
  const rrCached = medianOf(cached, "rr"), rrCold = medianOf(cold, "rr");
  console.log("Goals: a fully cached rebuild under 50 ms; a cold build at least 2× faster than buildah");
  console.log(rrCached === undefined ? "  cached under 50 ms:          n/a (rr unavailable)"
    : `  cached under 50 ms:          ${passOrMiss(rrCached < 50)}  (rr ${ms(rrCached)} ms)`);
  for (const name of ["buildah-overlay", "buildah-vfs"]) {
    const b = medianOf(cold, name);
    console.log(rrCold === undefined || b === undefined
      ? `  cold 2× faster than ${name}: n/a (rr or ${name} unavailable)`
      : `  cold 2× faster than ${name}: ${passOrMiss(b >= 2 * rrCold)}  (${name} ${ms(b)} ms = ${ratio(b, rrCold)} rr ${ms(rrCold)} ms)`);
  }
}

await main();
