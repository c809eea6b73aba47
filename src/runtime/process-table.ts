/**
 * `rr top`'s table of a container's processes. Without options it is
 * `ps -ef`'s, built from /proc so that no ps is needed; with options it is
 * the host's ps run with them, keeping only the container's rows (Docker's
 * way: the PID column is found by its header).
 */
import { readFileSync } from "node:fs";
import { bootTime, CLOCK_TICKS, readProcStat, uptime } from "./proc-stat.ts";
import { RrError, UsageError } from "../errors.ts";

export interface ProcessTable {
  titles: string[];
  processes: string[][];
}

export const PS_EF_TITLES = ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"];

function userNames(): Map<number, string> {
  const names = new Map<number, string>();
  try {
    for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
      const [name, , uid] = line.split(":");
      if (name && uid !== undefined && !names.has(Number(uid))) names.set(Number(uid), name);
    }
  } catch {}
  return names;
}

/** `ps -ef` for these pids, read from /proc. */
export function psEfTable(pids: number[], now = new Date()): ProcessTable {
  const names = userNames();
  const boot = bootTime();
  const up = uptime();
  const processes: string[][] = [];
  for (const pid of pids) {
    const st = readProcStat(pid);
    if (!st) continue; // exited while we looked
    const status = readText(`/proc/${pid}/status`);
    const euid = Number(/^Uid:\s+\d+\s+(\d+)/m.exec(status)?.[1] ?? -1);
    const ticks = st.utime + st.stime;
    const age = Math.floor(up - st.startTime / CLOCK_TICKS);
    // ps's C: lifetime CPU percent, whole numbers, at most 99
    const c = age > 0 ? Math.min(99, Math.floor((ticks * 100) / CLOCK_TICKS / age)) : 0;
    processes.push([
      names.get(euid) ?? String(euid), String(pid), String(st.ppid), String(c),
      startTime(new Date((boot + st.startTime / CLOCK_TICKS) * 1000), now), ttyName(st.ttyNr),
      cpuTime(Math.floor(ticks / CLOCK_TICKS)), commandLine(pid, st.comm),
    ]);
  }
  return { titles: [...PS_EF_TITLES], processes };
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const two = (n: number) => String(n).padStart(2, "0");

/** procps's STIME: "HH:MM" today, "MonDD" this year, else the year. */
export function startTime(t: Date, now: Date): string {
  if (t.getFullYear() !== now.getFullYear()) return String(t.getFullYear());
  if (t.getMonth() !== now.getMonth() || t.getDate() !== now.getDate()) return `${MONTHS[t.getMonth()]}${two(t.getDate())}`;
  return `${two(t.getHours())}:${two(t.getMinutes())}`;
}

/** procps's TIME: [DD-]HH:MM:SS. */
export function cpuTime(seconds: number): string {
  const d = Math.floor(seconds / 86400), h = Math.floor(seconds / 3600) % 24, m = Math.floor(seconds / 60) % 60, s = seconds % 60;
  return `${d ? `${d}-` : ""}${two(h)}:${two(m)}:${two(s)}`;
}

/** The controlling terminal from stat's tty_nr: "pts/0", "tty1", "ttyS0", or "?". */
export function ttyName(ttyNr: number): string {
  if (!ttyNr) return "?";
  const major = (ttyNr >> 8) & 0xfff;
  const minor = (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00);
  if (major >= 136 && major <= 143) return `pts/${(major - 136) * 256 + minor}`;
  if (major === 4) return minor < 64 ? `tty${minor}` : `ttyS${minor - 64}`;
  if (major === 5 && minor === 1) return "console";
  return "?";
}

/** The arguments, or "[comm]" for a process without any (a kernel thread, a zombie). */
function commandLine(pid: number, comm: string): string {
  const args = readText(`/proc/${pid}/cmdline`).split("\0");
  while (args.length && args[args.length - 1] === "") args.pop();
  // eslint-disable-next-line no-control-regex
  return args.length ? args.join(" ").replace(/[\x00-\x1f\x7f]/g, "?") : `[${comm}]`;
}

/** Docker refuses ps options that would rename another column to PID, which would mislead the filter. */
export function validatePsArgs(args: string[]): void {
  for (const m of (" " + args.join(" ")).matchAll(/\s+([^\s]*)=\s*(PID[^\s]*)/g)) {
    if (m[1] !== "pid") throw new UsageError(`specifying "${m[1]}=${m[2]}" is not allowed`);
  }
}

/** The host's ps with args, its rows kept for these pids. */
export function psTable(args: string[], pids: number[], psPath: string): ProcessTable {
  validatePsArgs(args);
  // -q lists just these pids, fast; some options (f) refuse it, so try without
  let r = Bun.spawnSync([psPath, ...args, `-q${pids.join(",")}`], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) r = Bun.spawnSync([psPath, ...args], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) {
    const why = r.stderr.toString().split("\n").find((l) => l.trim()) ?? `exit status ${r.exitCode}`;
    throw new RrError(`ps ${args.join(" ")}: ${why.trim()}`, { hint: "The options after the container are ps's own: see 'man ps'." });
  }
  return parsePsOutput(r.stdout.toString(), pids);
}

/** Docker's parsePSOutput: whitespace-split rows, the last column keeps its spaces, "-" rows (threads) follow their process. */
export function parsePsOutput(output: string, pids: number[]): ProcessTable {
  const lines = output.split("\n");
  const titles = (lines[0] ?? "").trim().split(/\s+/).filter(Boolean);
  const pidIndex = titles.indexOf("PID");
  if (pidIndex < 0) {
    throw new RrError("ps's output has no PID column", { hint: "Keep the pid in the columns you ask for, e.g. -o pid,comm." });
  }
  const wanted = new Set(pids);
  const processes: string[][] = [];
  let previousKept = false;
  const keep = (fields: string[]) => processes.push([...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(" ")]);
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/).filter(Boolean);
    if (!fields.length) continue;
    if (fields[pidIndex] === "-") {
      if (previousKept) keep(fields);
      continue;
    }
    const pid = Number(fields[pidIndex]);
    if (!Number.isInteger(pid)) throw new RrError(`unexpected pid "${fields[pidIndex]}" in ps's output`);
    previousKept = wanted.has(pid);
    if (previousKept) keep(fields);
  }
  return { titles, processes };
}
