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
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { asUser, BENCH_USER, ensureUser, runAsUser, type UserEnv } from "./lib/as-user.ts";
import { makeBusyboxFixture } from "./lib/busybox-fixture.ts";
import { failureLine, peakRssKb, runOnce, summarize, type Sample } from "./lib/measure.ts";
import { enterPrivateMountNsIfNeeded } from "./lib/private-mount-ns.ts";
import { ms, ratio, resultsTable, type ResultRow } from "./lib/report.ts";

const REPO = join(import.meta.dir, "..");

const { values: opts } = parseArgs({
  options: { rounds: { type: "string", default: "10" }, warmup: { type: "string", default: "1" } },
});
const rounds = Number(opts.rounds), warmup = Number(opts.warmup);
if (!(rounds > 0) || !(warmup >= 0)) throw new Error("--rounds must be > 0 and --warmup >= 0");
if (process.getuid?.() !== 0) {
  console.error("build: run me as root; I run the tools rootless as", BENCH_USER);
  process.exit(2);
}

const ns = enterPrivateMountNsIfNeeded();
if (ns && "exitCode" in ns) process.exit(ns.exitCode);
const nsNote = ns && "note" in ns ? ns.note : undefined;

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

/** RR_BIN (default dist/rr), copied so a rebuild by someone else mid-run cannot change what is measured. */
function rrBinary(dir: string): string {
  const built = process.env.RR_BIN ? resolve(process.env.RR_BIN) : join(REPO, "dist", "rr");
  if (!existsSync(built)) throw new Error(`${built} does not exist: build it with \`node_modules/.bin/bun run build.ts\` or set RR_BIN`);
  const copy = join(dir, "rr");
  copyFileSync(built, copy);
  chmodSync(copy, 0o755);
  return copy;
}

interface Builder {
  name: string;
  cold: string[];
  cached: string[];
  note?: string;
  cleanup(): void;
}

function bestEffort(u: UserEnv, argv: string[]): void {
  try { runAsUser(u, argv); } catch (e) { console.error(`cleanup: ${(e as Error).message}`); }
}

function rrBuilder(u: UserEnv, dir: string, rr: string, archive: string, context: string): Builder {
  const root = join(dir, "rr-root"), runroot = join(dir, "rr-run");
  const base = [rr, "--root", root, "--runroot", runroot];
  runAsUser(u, [...base, "load", "-i", archive]);
  const build = (extra: string[]) => asUser(u, [...base, "build", "-q", ...extra, "-t", "bench", context]);
  return {
    name: "rr",
    cold: build(["--no-cache"]),
    cached: build([]),
    note: "subuid range mapped, host network (rr's default)",
    cleanup: () => bestEffort(u, [...base, "unshare", "rm", "-rf", root, runroot]),
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
  const root = join(dir, `${name}-root`), runroot = join(dir, `${name}-run`);
  const base = ["buildah", "--root", root, "--runroot", runroot, "--storage-driver", driver];
  const cleanup = () => bestEffort(u, ["buildah", "unshare", "rm", "-rf", root, runroot]);
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
  const { uid, gid } = await ensureUser();
  const dir = mkdtempSync(join(tmpdir(), "rr-bench-build-"));
  chmodSync(dir, 0o755);
  const u: UserEnv = { user: BENCH_USER, uid, gid, home: join(dir, "home"), xdgRuntimeDir: join(dir, "xdg") };
  const builders: Builder[] = [];
  const unavailable: ResultRow[] = [];
  try {
    mkdirSync(u.home, { mode: 0o700 });
    mkdirSync(u.xdgRuntimeDir, { mode: 0o700 });
    const context = join(dir, "context");
    mkdirSync(join(context, "conf"), { recursive: true });
    writeFileSync(join(context, "Dockerfile"), DOCKERFILE);
    writeFileSync(join(context, "app.txt"), "app\n");
    writeFileSync(join(context, "conf", "app.conf"), "key=value\n");
    Bun.spawnSync(["chown", "-R", `${uid}:${gid}`, dir]);
    const fixture = makeBusyboxFixture(dir, u);
    const rr = rrBinary(dir);
    const version = (argv: string[]) => Bun.spawnSync(argv).stdout.toString().split("\n")[0]!.trim();

    const factories: [string, () => Builder][] = [
      ["rr", () => rrBuilder(u, dir, rr, fixture.archive, context)],
      ["buildah-overlay", () => buildahBuilder(u, dir, "overlay", fixture.archive, context)],
      ["buildah-vfs", () => buildahBuilder(u, dir, "vfs", fixture.archive, context)],
    ];
    for (const [name, make] of factories) {
      try {
        builders.push(make());
      } catch (e) {
        unavailable.push({ name, unavailable: (e as Error).message.split("\n")[0] });
      }
    }

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
      // alternate who goes first, so neither always runs on a machine the other just loaded
      for (const b of round % 2 ? running : [...running].reverse()) {
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
        summary: summarize(samples.get(b.name)![kind], Math.max(...[1, 2, 3].map(() => peakRssKb(b[kind]) ?? 0)) || undefined),
      }),
      ...unavailable,
    ];
    const cold = rows("cold"), cached = rows("cached");

    console.log(`build of a 10-instruction Dockerfile (2 RUN, 2 COPY), rootless as ${BENCH_USER}; ${version([rr, "--version"])}; ` +
      `${version(["buildah", "--version"])}; ${rounds} rounds interleaved, ${warmup} warm-up`);
    console.log(`${navigator.hardwareConcurrency} cores, kernel ${Bun.spawnSync(["uname", "-r"]).stdout.toString().trim()}\n`);
    console.log("Cold: --no-cache, every step runs again");
    console.log(resultsTable(cold, "rr"));
    console.log("\nFully cached: nothing changed, every step from the cache");
    console.log(resultsTable(cached, "rr"));
    console.log();
    for (const b of builders) {
      const shown = (argv: string[]) => argv.slice(argv.indexOf("-i") + 1).filter((a) => !/^[A-Z_]+=/.test(a)).join(" ");
      console.log(`${b.name}: ${shown(b.cached)}${b.note ? `\n  (${b.note})` : ""}`);
    }
    if (nsNote) console.log(`note: ${nsNote}`);
    console.log();
    printGoals(cold, cached);
  } finally {
    for (const b of builders) b.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

function printGoals(cold: ResultRow[], cached: ResultRow[]): void {
  const med = (rows: ResultRow[], name: string) => rows.find((r) => r.name === name)?.summary?.medianMs;
  const verdict = (ok: boolean) => (ok ? "PASS" : "MISS");
  const rrCached = med(cached, "rr"), rrCold = med(cold, "rr");
  console.log("Goals: a fully cached rebuild under 50 ms; a cold build at least 2× faster than buildah");
  console.log(rrCached === undefined ? "  cached under 50 ms:          n/a (rr unavailable)"
    : `  cached under 50 ms:          ${verdict(rrCached < 50)}  (rr ${ms(rrCached)} ms)`);
  for (const name of ["buildah-overlay", "buildah-vfs"]) {
    const b = med(cold, name);
    console.log(rrCold === undefined || b === undefined
      ? `  cold 2× faster than ${name}: n/a (rr or ${name} unavailable)`
      : `  cold 2× faster than ${name}: ${verdict(b >= 2 * rrCold)}  (${name} ${ms(b)} ms = ${ratio(b, rrCold)} rr ${ms(rrCold)} ms)`);
  }
}

await main();
