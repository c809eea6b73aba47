import type { Command } from "../command.ts";
import type { CliContext } from "../context.ts";
import { bool, parseArgs, str } from "../args.ts";
import { printRows } from "../print-rows.ts";
import { humanSize } from "../format.ts";
import { findContainer, listContainers, type ContainerRecord } from "../../store/container-store.ts";
import { cpuPercent, sampleContainer, type StatsSample } from "../../runtime/container-stats.ts";
import { report } from "../report.ts";

/** Docker's StatsEntry as its --format sees it. */
interface StatsRow {
  Container: string;
  ID: string;
  Name: string;
  CPUPerc: string;
  MemUsage: string;
  MemPerc: string;
  NetIO: string;
  BlockIO: string;
  PIDs: string;
}

const TABLE = {
  headers: {
    Container: "CONTAINER", ID: "CONTAINER ID", Name: "NAME", CPUPerc: "CPU %", MemUsage: "MEM USAGE / LIMIT",
    MemPerc: "MEM %", NetIO: "NET I/O", BlockIO: "BLOCK I/O", PIDs: "PIDS",
  },
  columns: "{{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}",
};

const INTERVAL_MS = 1000;
const BINARY = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];

/** Docker's units.BytesSize: binary units, 4 significant digits ("1.961MiB"). */
function bytesSize(n: number): string {
  let size = n, i = 0;
  while (size >= 1024 && i < BINARY.length - 1) { size /= 1024; i++; }
  return `${Number(size.toPrecision(4))}${BINARY[i]}`;
}

interface Target {
  /** What --format's .Container shows: the name asked for, or the short id when listing. */
  label: string;
  rec: ContainerRecord;
}

function live(rec: ContainerRecord): { pid: number; cgroupPaths?: string[] } | undefined {
  const s = rec.state;
  return (s.status === "running" || s.status === "paused") && s.pid ? { pid: s.pid, cgroupPaths: rec.cgroupPaths } : undefined;
}

function sampleAll(targets: Target[]): Map<string, StatsSample> {
  const out = new Map<string, StatsSample>();
  for (const t of targets) {
    const c = live(t.rec);
    if (!c) continue;
    try { out.set(t.rec.id, sampleContainer(c)); } catch {} // it stopped while we read: shown as stopped
  }
  return out;
}

function row(t: Target, prev: StatsSample | undefined, cur: StatsSample | undefined, noTrunc: boolean): StatsRow {
  const base = { Container: t.label, ID: noTrunc ? t.rec.id : t.rec.id.slice(0, 12), Name: t.rec.name };
  if (!cur) {
    return { ...base, CPUPerc: "0.00%", MemUsage: "0B / 0B", MemPerc: "0.00%", NetIO: "0B / 0B", BlockIO: "0B / 0B", PIDs: "0" };
  }
  return {
    ...base,
    CPUPerc: `${cpuPercent(prev, cur).toFixed(2)}%`,
    MemUsage: `${bytesSize(cur.memUsage)} / ${bytesSize(cur.memLimit)}`,
    MemPerc: `${(cur.memLimit ? (cur.memUsage / cur.memLimit) * 100 : 0).toFixed(2)}%`,
    NetIO: `${humanSize(cur.netRx)} / ${humanSize(cur.netTx)}`,
    BlockIO: `${humanSize(cur.blkRead)} / ${humanSize(cur.blkWrite)}`,
    PIDs: String(cur.pids),
  };
}

/** printRows into lines, for redrawing in place. */
function render(rows: StatsRow[], format: string | undefined): string[] {
  const lines: string[] = [];
  printRows({ out: (l: string) => lines.push(l) } as unknown as CliContext, rows, format, TABLE);
  return lines;
}

const command: Command = {
  summary: "Display a live stream of container(s) resource usage statistics",
  usage: `Usage:  rr stats [OPTIONS] [CONTAINER...]

Display a live stream of container(s) resource usage statistics

Options:
  -a, --all             Show all containers (default shows just running)
      --format string   Format output: table, table TEMPLATE, json, or a Go template
      --no-stream       Disable streaming stats and only pull the first result
      --no-trunc        Do not truncate output

Figures come from the container's cgroup; without one (rootless without a
delegated cgroup) they are summed over its processes, and the limit is the
host's memory.`,
  async run(argv, ctx) {
    const { options: o, positionals: refs } = parseArgs(argv, [
      { name: "all", short: "a" }, { name: "no-stream" }, { name: "no-trunc" }, { name: "format", value: true },
    ], { command: "stats" });
    const root = ctx.storePaths().root;
    const format = str(o, "format");
    const noTrunc = bool(o, "no-trunc");

    // a named container removed while streaming just leaves the table
    const resolve = (): Target[] => {
      if (refs.length) return refs.flatMap((ref) => { try { return [{ label: ref, rec: findContainer(root, ref) }]; } catch { return []; } });
      return listContainers(root)
        .filter((c) => bool(o, "all") || c.state.status === "running" || c.state.status === "paused")
        .sort((a, b) => b.created.localeCompare(a.created))
        .map((rec) => ({ label: rec.id.slice(0, 12), rec }));
    };
    render([], format); // a bad template fails now, not a second later
    // Docker reports every unknown container and shows nothing
    let unknown = 0;
    for (const ref of refs) {
      try { findContainer(root, ref); } catch (err) { report(err); unknown++; }
    }
    if (unknown) return 1;

    let targets = resolve();
    let prev = sampleAll(targets);
    if (bool(o, "no-stream")) {
      if (prev.size) await Bun.sleep(INTERVAL_MS);
      const cur = sampleAll(targets);
      for (const l of render(targets.map((t) => row(t, prev.get(t.rec.id), cur.get(t.rec.id), noTrunc)), format)) ctx.out(l);
      return 0;
    }
    process.stdout.write("\x1b[2J");
    for (;;) {
      await Bun.sleep(INTERVAL_MS);
      targets = resolve();
      const cur = sampleAll(targets);
      const lines = render(targets.map((t) => row(t, prev.get(t.rec.id), cur.get(t.rec.id), noTrunc)), format);
      // home, each line then erase-to-end-of-line, then erase below: no flicker, no leftovers
      process.stdout.write(`\x1b[H${lines.map((l) => `${l}\x1b[K\n`).join("")}\x1b[J`);
      prev = cur;
    }
  },
};
export default command;
