/**
 * Networks: rr beside rootless podman, both as the same unprivileged user on
 * the same busybox image.
 *
 *   1. TCP throughput, container → container on a user-defined network, and
 *      container → container the way default-network (slirp4netns) users do
 *      it: through a published port reached at the host's loopback.
 *   2. TCP throughput, host 127.0.0.1 → a published port → a container.
 *   3. Start latency of `run --rm busybox true` per network mode, and what a
 *      network adds over `--network none`.
 *
 * Run as root:
 *
 *   RR_BIN=dist/rr node_modules/.bin/bun bench/network.ts [--mib 1024] [--rounds 5] [--starts 15] [--warmup 2]
 *
 * Traffic stays on loopback or inside namespaces the tools made. Informational
 * only: it never fails on a timing.
 */
import { chmodSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { asUser, BENCH_USER, cleanupAsUser, runAsUser, type UserEnv } from "./lib/as-user.ts";
import { makeBenchDir } from "./lib/bench-dir.ts";
import { makeBusyboxFixture } from "./lib/busybox-fixture.ts";
import { killLeftovers } from "./lib/leftovers.ts";
import { machineLine, toolVersion } from "./lib/machine.ts";
import { capture, failureLine, quantile, runOnce, type Sample } from "./lib/measure.ts";
import { killPodmanPause } from "./lib/podman-pause.ts";
import { killStarted } from "./lib/proc.ts";
import { errorLine, ms, passOrMiss, ratio, table } from "./lib/report.ts";
import { alternating } from "./lib/rounds.ts";
import { rrBinary } from "./lib/rr-binary.ts";
import { startAsRoot } from "./lib/start-as-root.ts";
import { podmanCli, removeRrContainers, removeStore, rrCli, storeIn } from "./lib/stores.ts";

const { values: opts } = parseArgs({
  options: {
    mib: { type: "string", default: "1024" },
    rounds: { type: "string", default: "5" },
    starts: { type: "string", default: "15" },
    warmup: { type: "string", default: "2" },
  },
});
const mib = Number(opts.mib), rounds = Number(opts.rounds), starts = Number(opts.starts), warmup = Number(opts.warmup);
if (!(mib > 0) || !(rounds > 0) || !(starts > 0) || !(warmup >= 0)) throw new Error("--mib, --rounds and --starts must be > 0, --warmup >= 0");
const nsNote = startAsRoot("network bench");

const NET = "benchnet";
const CTR_PORT = 5001;
/** slirp4netns' address for the host's loopback, with allow_host_loopback=true */
const SLIRP_HOST = "10.0.2.2";
const TRANSFER_TIMEOUT_MS = 180_000;

/**
 * The sender and receiver, static so one file runs on the host and in any
 * container. busybox nc reads and writes 1 KiB at a time and tops out near
 * 540 MiB/s even on loopback here: it would measure nc, not the network.
 * `sink PORT [ADDR]` reads every connection to EOF with 128 KiB reads;
 * `src IP PORT MIB` writes MIB MiB, half-closes, waits for the sink's close
 * (so every byte arrived) and prints "MIB SECONDS".
 */
const TPUT_C = String.raw`
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
static char buf[1 << 17];
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
int main(int argc, char **argv) {
  if (argc >= 3 && !strcmp(argv[1], "sink")) {
    int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[2]))};
    if (argc > 3) inet_pton(AF_INET, argv[3], &a.sin_addr);
    if (bind(l, (void *)&a, sizeof a) < 0 || listen(l, 8) < 0) { perror("sink"); return 1; }
    for (;;) {
      int c = accept(l, NULL, NULL);
      if (c < 0) continue;
      while (read(c, buf, sizeof buf) > 0) {}
      close(c);
    }
  }
  if (argc != 5 || strcmp(argv[1], "src")) { fprintf(stderr, "usage: tput sink PORT [ADDR] | tput src IP PORT MIB\n"); return 2; }
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[3]))};
  if (inet_pton(AF_INET, argv[2], &a.sin_addr) != 1) { fprintf(stderr, "tput: bad address %s\n", argv[2]); return 2; }
  if (connect(s, (void *)&a, sizeof a) < 0) { perror("connect"); return 1; }
  long mib = atol(argv[4]);
  double t0 = now();
  for (long i = 0; i < mib * 8; i++)
    for (size_t o = 0; o < sizeof buf;) {
      ssize_t w = write(s, buf + o, sizeof buf - o);
      if (w <= 0) { perror("write"); return 1; }
      o += (size_t)w;
    }
  shutdown(s, SHUT_WR);
  while (read(s, buf, sizeof buf) > 0) {}
  printf("%ld %.6f\n", mib, now() - t0);
  return 0;
}
`;

function buildTput(dir: string): string {
  const src = join(dir, "tput.c"), bin = join(dir, "tput");
  writeFileSync(src, TPUT_C);
  const r = capture(["cc", "-O2", "-static", "-o", bin, src]);
  if (r.exitCode !== 0) throw new Error(`cc -static tput.c: ${r.stderr.trim().split("\n").pop()}`);
  chmodSync(bin, 0o755);
  return bin;
}

/** A port free on 127.0.0.1 right now (the OS picks it). */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((ok) => srv.listen(0, "127.0.0.1", ok));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((ok) => srv.close(() => ok()));
  return port;
}

/** One transfer: MiB/s from the sender's own clock (connect to the sink's close), or why it failed. */
function transfer(argv: string[]): number | string {
  const r = capture(argv, TRANSFER_TIMEOUT_MS);
  const m = /^(\d+) ([\d.]+)$/m.exec(r.stdout);
  if (r.exitCode !== 0 || !m) {
    const line = r.stderr.trim().split("\n").filter(Boolean).pop() ?? r.stdout.trim();
    return `exit ${r.exitCode}${line ? `: ${line.slice(0, 160)}` : ""}`;
  }
  return Number(m[1]) / Number(m[2]);
}

interface Tool {
  name: "rr" | "podman";
  /** the tool's argv prefix (stores under the temp dir), without the user wrapper */
  cli: string[];
  /** how its default network is named in the output */
  defaultNet: string;
  /** set up once: a sink on the user network and one on the default network, each with a published port */
  sinkIp?: string;
  portNet?: number;
  portDef?: number;
  error?: string;
  cleanup(): void;
}

function rrTool(u: UserEnv, dir: string, bin: string): Tool {
  const store = storeIn(dir, "rr");
  const cli = rrCli(bin, store);
  return {
    name: "rr", cli, defaultNet: "slirp4netns",
    cleanup() {
      removeRrContainers(u, cli);
      cleanupAsUser(u, [...cli, "network", "rm", NET]);
      // The network holder (a pause process under its own monitor) outlives its networks until a prune ends it.
      try {
        const h = JSON.parse(readFileSync(join(store.root, "network-holder", "holder.json"), "utf8")) as { pid: number; pidStart?: string };
        if (h.pid > 1 && h.pidStart !== undefined) killStarted(h.pid, Number(h.pidStart)); // only if still that process
      } catch { /* no holder */ }
      removeStore(u, cli, store);
    },
  };
}

function podmanTool(u: UserEnv, dir: string): Tool {
  const store = storeIn(dir, "podman");
  const cli = podmanCli(store);
  return {
    name: "podman", cli, defaultNet: "slirp4netns",
    cleanup() {
      cleanupAsUser(u, [...cli, "rm", "-f", "-a", "-t", "0"]);
      cleanupAsUser(u, [...cli, "network", "rm", "-f", NET]);
      removeStore(u, cli, store);
      killPodmanPause(u);
    },
  };
}

/** Loads the image, makes the network and the two sinks; records the first failure on the tool. */
async function prepare(t: Tool, u: UserEnv, archive: string, tput: string): Promise<void> {
  const run = (args: string[]) => runAsUser(u, [...t.cli, ...args]);
  try {
    run(["load", "-i", archive]);
    run(["network", "create", NET]);
    t.portNet = await freePort();
    t.portDef = await freePort();
    const sink = ["-v", `${tput}:/tput:ro`, "busybox", "/tput", "sink", String(CTR_PORT)];
    run(["run", "-d", "--name", "bench-sink-net", "--network", NET, "-p", `127.0.0.1:${t.portNet}:${CTR_PORT}`, ...sink]);
    run(["run", "-d", "--name", "bench-sink-def", "-p", `127.0.0.1:${t.portDef}:${CTR_PORT}`, ...sink]);
    t.sinkIp = run(["inspect", "-f", `{{.NetworkSettings.Networks.${NET}.IPAddress}}`, "bench-sink-net"]).trim();
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(t.sinkIp)) throw new Error(`inspect gave no address on ${NET}: ${JSON.stringify(t.sinkIp)}`);
    // Both sinks answer before anything is timed (a 1 MiB transfer each).
    for (const port of [t.portNet, t.portDef]) {
      let last: number | string = "";
      for (let i = 0; i < 50 && typeof last !== "number"; i++) {
        last = transfer(asUser(u, [tput, "src", "127.0.0.1", String(port), "1"]));
        if (typeof last !== "number") await Bun.sleep(100);
      }
      if (typeof last !== "number") throw new Error(`the sink behind 127.0.0.1:${port} does not answer: ${last}`);
    }
  } catch (e) {
    t.error = errorLine(e);
  }
}

interface Path {
  label: string;
  /** the sender's argv for this tool (wrapper included) */
  argv(t: Tool, size: number): string[];
}

function paths(u: UserEnv, tput: string): Path[] {
  const vol = ["-v", `${tput}:/tput:ro`];
  const src = (ip: string, port: number, size: number) => ["/tput", "src", ip, String(port), String(size)];
  return [
    {
      label: `ctr → ctr on a user network (${NET}, bridge + veth)`,
      argv: (t, n) => asUser(u, [...t.cli, "run", "--rm", "--network", NET, ...vol, "busybox", ...src(t.sinkIp!, CTR_PORT, n)]),
    },
    {
      label: `ctr → ${SLIRP_HOST}:PORT → ctr (slirp4netns → host 127.0.0.1 → -p)`,
      argv: (t, n) => asUser(u, [...t.cli, "run", "--rm", "--network", "slirp4netns:allow_host_loopback=true", ...vol, "busybox",
        ...src(SLIRP_HOST, t.portDef!, n)]),
    },
    {
      label: "host 127.0.0.1:PORT → ctr on the user network (-p)",
      argv: (t, n) => asUser(u, [tput, "src", "127.0.0.1", String(t.portNet), String(n)]),
    },
    {
      label: "host 127.0.0.1:PORT → ctr on the default network (-p)",
      argv: (t, n) => asUser(u, [tput, "src", "127.0.0.1", String(t.portDef), String(n)]),
    },
  ];
}

/** The machine's own ceiling: host loopback to a sink on the host, no container. */
async function loopbackCeiling(u: UserEnv, tput: string): Promise<number[] | string> {
  const port = await freePort();
  const sink = Bun.spawn(asUser(u, [tput, "sink", String(port), "127.0.0.1"]), { stdio: ["ignore", "ignore", "inherit"] });
  try {
    await Bun.sleep(200);
    const out: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const r = transfer(asUser(u, [tput, "src", "127.0.0.1", String(port), String(mib)]));
      if (typeof r !== "number") return r;
      out.push(r);
    }
    return out;
  } finally {
    sink.kill(9); // setpriv and env exec: this pid is the sink itself
    await sink.exited;
  }
}

type Results = Map<string, number[] | string>;
const key = (t: Tool, i: number) => `${t.name}/${i}`;

/** Round by round, every path and tool in turn (who goes first alternates). */
function measureThroughput(tools: Tool[], ps: Path[]): Results {
  const res: Results = new Map();
  for (const t of tools) ps.forEach((_, i) => res.set(key(t, i), t.error ?? []));
  for (let round = -Math.min(warmup, 1); round < rounds; round++) {
    console.error(round < 0 ? "throughput: warm-up…" : `throughput: round ${round + 1}/${rounds}…`);
    const order = alternating(tools, round + 1);
    ps.forEach((p, i) => {
      for (const t of order) {
        const got = res.get(key(t, i))!;
        if (typeof got === "string") continue;
        const r = transfer(p.argv(t, round < 0 ? Math.min(mib, 64) : mib));
        if (typeof r === "string") res.set(key(t, i), r);
        else if (round >= 0) got.push(r);
      }
    });
  }
  return res;
}

const mibCell = (v: number[] | string | undefined) => {
  if (v === undefined) return "-";
  if (typeof v === "string") return "unavailable";
  return `${quantile(v, 0.5).toFixed(0)} (${Math.min(...v).toFixed(0)}–${Math.max(...v).toFixed(0)})`;
};

function throughputTable(tools: Tool[], ps: Path[], res: Results): string {
  const rr = tools.find((t) => t.name === "rr")!, pm = tools.find((t) => t.name === "podman")!;
  const rows = ps.map((p, i) => {
    const a = res.get(key(rr, i)), b = res.get(key(pm, i));
    const both = Array.isArray(a) && Array.isArray(b) && a.length && b.length;
    return [p.label, mibCell(a), mibCell(b), both ? `rr/podman ${ratio(quantile(a, 0.5), quantile(b, 0.5))}` : ""];
  });
  const out = [table(["path", "rr MiB/s (min–max)", "podman MiB/s (min–max)", "ratio"], rows)];
  for (const t of tools) {
    ps.forEach((p, i) => {
      const v = res.get(key(t, i));
      if (typeof v === "string") out.push(`  ${t.name}, ${p.label}: unavailable: ${v}`);
    });
  }
  return out.join("\n");
}

interface Mode { label: string; args: string[] }
const MODES: Mode[] = [
  { label: "--network none", args: ["--network", "none"] },
  { label: `--network ${NET}`, args: ["--network", NET] },
  { label: "default (slirp4netns)", args: [] },
  { label: "--network host", args: ["--network", "host"] },
];

type Starts = Map<string, Sample[] | string>;

function measureStarts(tools: Tool[], u: UserEnv): Starts {
  const res: Starts = new Map();
  for (const t of tools) for (const m of MODES) res.set(`${t.name}/${m.label}`, t.error ?? []);
  for (let round = -warmup; round < starts; round++) {
    if (round === 0 || round === -warmup) console.error(round < 0 ? "starts: warm-up…" : `starts: ${starts} rounds…`);
    for (const t of alternating(tools, round + 1)) {
      for (const m of MODES) {
        const got = res.get(`${t.name}/${m.label}`)!;
        if (typeof got === "string") continue;
        const s = runOnce(asUser(u, [...t.cli, "run", "--rm", ...m.args, "busybox", "true"]));
        if (s.exitCode !== 0) res.set(`${t.name}/${m.label}`, failureLine(s));
        else if (round >= 0) got.push(s);
      }
    }
  }
  return res;
}

/**
 * What a mode adds over `--network none` for one tool: the median of the
 * per-round differences (each round runs every mode back to back), which a
 * load that shifts from round to round moves less than a difference of medians.
 */
function addedMs(res: Starts, tool: string, mode: string): number {
  const a = res.get(`${tool}/${mode}`), none = res.get(`${tool}/--network none`);
  if (!Array.isArray(a) || !Array.isArray(none) || !a.length || a.length !== none.length) return NaN;
  return quantile(a.map((s, i) => s.wallMs - none[i]!.wallMs), 0.5);
}

function startsTable(tools: Tool[], res: Starts): string {
  const med = (v: Sample[] | string | undefined, f: (s: Sample) => number = (s) => s.wallMs, q = 0.5) =>
    Array.isArray(v) && v.length ? quantile(v.map(f), q) : NaN;
  const cell = (v: Sample[] | string | undefined) => typeof v === "string" || !v?.length
    ? "unavailable" : `${ms(med(v))} (${ms(med(v, undefined, 0.9))}) ${ms(med(v, (s) => s.cpuMs))}`;
  const names = tools.map((t) => t.name);
  const rows = MODES.map((m) => {
    const [a, b] = names.map((n) => res.get(`${n}/${m.label}`));
    const r = med(a) > 0 && med(b) > 0 ? `podman/rr ${ratio(med(b), med(a))}` : "";
    return [`run --rm ${m.label}`, cell(a), cell(b), r];
  });
  const added = MODES.filter((m) => m.args[1] !== "none").map((m) => [`${m.label} − none`,
    ...names.map((n) => {
      const d = addedMs(res, n, m.label);
      return Number.isFinite(d) ? `${d >= 0 ? "+" : ""}${ms(d)}` : "-";
    })]);
  const out = [
    table(["median ms (p90) cpu ms", ...names, "ratio"], rows), "",
    table(["added by the network, ms (median of per-round differences)", ...names], added),
  ];
  for (const n of names) {
    for (const m of MODES) {
      const v = res.get(`${n}/${m.label}`);
      if (typeof v === "string") out.push(`  ${n}, ${m.label}: unavailable: ${v}`);
    }
  }
  return out.join("\n");
}

function goals(tools: Tool[], tp: Results, st: Starts): void {
  const rr = tools.find((t) => t.name === "rr")!, pm = tools.find((t) => t.name === "podman")!;
  const m = (v: number[] | string | undefined) => (Array.isArray(v) && v.length ? quantile(v, 0.5) : NaN);
  const c2c = m(tp.get(key(rr, 0)));
  console.log("Goals: container → container at kernel veth speed (≥10× slirp4netns); a network adds under 5 ms to a start");
  const slirp = m(tp.get(key(pm, 1)));
  console.log(Number.isFinite(c2c) && Number.isFinite(slirp)
    ? `  ≥10× slirp4netns:  ${passOrMiss(c2c >= 10 * slirp)}  (rr on ${NET} ${c2c.toFixed(0)} MiB/s = ${ratio(c2c, slirp)} podman's slirp4netns path ${slirp.toFixed(0)} MiB/s)`
    : "  ≥10× slirp4netns:  n/a");
  const add = addedMs(st, "rr", `--network ${NET}`);
  console.log(Number.isFinite(add)
    ? `  under 5 ms:        ${passOrMiss(add < 5)}  (rr --network ${NET} adds ${ms(add)} ms to a start over --network none, median of ${starts} paired rounds)`
    : "  under 5 ms:        n/a");
}

async function main(): Promise<void> {
  const { dir, u } = await makeBenchDir("rr-bench-network-");
  const tools: Tool[] = [];
  try {
    const { archive } = makeBusyboxFixture(dir, u);
    const tput = buildTput(dir);
    tools.push(rrTool(u, dir, rrBinary(dir)), podmanTool(u, dir));
    for (const t of tools) {
      console.error(`${t.name}: load, network create, two sinks…`);
      await prepare(t, u, archive, tput);
      if (t.error) console.error(`${t.name}: ${t.error}`);
    }
    const ps = paths(u, tput);
    const ceiling = await loopbackCeiling(u, tput);
    const tp = measureThroughput(tools, ps);
    const st = measureStarts(tools, u);

    console.log(`networks, rootless as ${BENCH_USER}; ${toolVersion([tools[0]!.cli[0]!, "--version"])}; ${toolVersion(["podman", "--version"])}; ` +
      `${toolVersion(["slirp4netns", "--version"])}`);
    console.log(`${machineLine()}\n`);
    console.log(`TCP throughput: ${mib} MiB per transfer, 128 KiB writes (a static sender/sink, not busybox nc); ${rounds} rounds, tools interleaved; median MiB/s`);
    console.log(throughputTable(tools, ps, tp));
    console.log(`ceiling: host 127.0.0.1 → a sink on the host, no container: ${mibCell(ceiling)} MiB/s` +
      (typeof ceiling === "string" ? ` (${ceiling})` : ""));
    console.log(`\nStart latency: run --rm busybox true; ${starts} rounds, ${warmup} warm-up, tools and modes interleaved`);
    console.log(startsTable(tools, st));
    if (nsNote) console.log(`\nnote: ${nsNote}`);
    console.log();
    goals(tools, tp, st);
  } finally {
    for (const t of tools) t.cleanup();
    killLeftovers(dir); // e.g. a pause process that `podman unshare` started again
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch (e) {
      console.error(`cleanup: ${dir}: ${errorLine(e)}`);
    }
  }
}

await main();
