import type { Command } from "../command.ts";
import { closeSync, openSync, readSync } from "node:fs";
import { join } from "node:path";
import { bool, parseArgs, str } from "../args.ts";
import { CONTAINER_FILES, containerDir, findContainer, readContainer } from "../../store/container-store.ts";
import { logTimeMs, parseLog, type LogLine } from "../../store/container-log.ts";
import { UsageError } from "../../errors.ts";
import { writeAllSync } from "../write-sync.ts";

/** Docker's --since/--until: RFC3339 (or a date), a Unix time, or a duration before now (10m, 1h30m). */
export function parseLogTime(text: string, now = Date.now()): number {
  if (/^[0-9]+(\.[0-9]+)?$/.test(text)) return Number(text) * 1000;
  const d = /^(?:([0-9.]+)h)?(?:([0-9.]+)m)?(?:([0-9.]+)s)?$/.exec(text);
  if (d && text) return now - ((Number(d[1] ?? 0) * 60 + Number(d[2] ?? 0)) * 60 + Number(d[3] ?? 0)) * 1000;
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new UsageError(`invalid time "${text}"`, { hint: "Use an RFC 3339 time (2026-01-02T15:04:05Z), a Unix time, or a duration like 10m." });
  return t;
}

function readFrom(path: string, offset: number): { text: string; size: number } {
  let fd: number;
  try { fd = openSync(path, "r"); } catch { return { text: "", size: offset }; }
  try {
    const chunks: Buffer[] = [];
    const buf = Buffer.alloc(1 << 16);
    let pos = offset, n: number;
    while ((n = readSync(fd, buf, 0, buf.length, pos)) > 0) {
      chunks.push(Buffer.from(buf.subarray(0, n)));
      pos += n;
    }
    return { text: Buffer.concat(chunks).toString("utf8"), size: pos };
  } finally {
    closeSync(fd);
  }
}

const command: Command = {
  summary: "Fetch the logs of a container",
  usage: `Usage:  rr logs [OPTIONS] CONTAINER

Fetch the logs of a container

Options:
  -f, --follow         Follow log output
      --since string   Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)
  -n, --tail string    Number of lines to show from the end of the logs (default "all")
  -t, --timestamps     Show timestamps
      --until string   Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)`,
  async run(argv, ctx) {
    const { options: o, positionals } = parseArgs(argv, [
      { name: "follow", short: "f" }, { name: "timestamps", short: "t" }, { name: "since", value: true },
      { name: "until", value: true }, { name: "tail", short: "n", value: true }, { name: "details" },
    ], { command: "logs" });
    if (positionals.length !== 1) throw new UsageError(`"rr logs" requires exactly 1 argument.`, { hint: "See 'rr logs --help'." });
    const tail = str(o, "tail") ?? "all";
    if (tail !== "all" && !/^-?[0-9]+$/.test(tail)) throw new UsageError(`invalid --tail "${tail}": use a number or "all"`);
    const since = str(o, "since") !== undefined ? parseLogTime(str(o, "since")!) : undefined;
    const until = str(o, "until") !== undefined ? parseLogTime(str(o, "until")!) : undefined;
    const root = ctx.storePaths().root;
    const rec = findContainer(root, positionals[0]!);
    const path = join(containerDir(root, rec.id), CONTAINER_FILES.log);
    const stamps = bool(o, "timestamps");
    const show = (lines: LogLine[]) => {
      for (const l of lines) {
        const t = since !== undefined || until !== undefined ? logTimeMs(l.time) : 0;
        if ((since !== undefined && t < since) || (until !== undefined && t > until)) continue;
        writeAllSync(l.stream === "stderr" ? 2 : 1, stamps ? `${l.time} ${l.text}` : l.text);
      }
    };
    const carry = new Map<string, LogLine>();
    let { text } = readFrom(path, 0);
    const first = parseLog(text, carry);
    let offset = first.consumed;
    const n = tail === "all" || Number(tail) < 0 ? first.lines.length : Number(tail);
    show(first.lines.slice(first.lines.length - Math.min(n, first.lines.length)));
    if (!bool(o, "follow")) return 0;
    for (;;) {
      let live = false;
      try {
        live = ["running", "paused", "restarting"].includes(readContainer(root, rec.id).state.status);
      } catch {} // removed while followed: print what is left and stop
      ({ text } = readFrom(path, offset));
      const next = parseLog(text, carry);
      offset += next.consumed;
      show(next.lines);
      if (!live) return 0;
      if (!next.lines.length) await Bun.sleep(100);
    }
  },
};
export default command;
