/**
 * The counters `rr stats` reads from a container's cgroup, v1 or v2, as
 * Docker reads them. A counter the cgroup lacks (a controller that was not
 * enabled or not writable) is left undefined for the caller to fill from /proc.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isV2 } from "./cgroups.ts";

export interface CgroupCounters {
  /** CPU time used, ns. */
  cpuNs?: number;
  /** Memory in use, without inactive file cache (Docker's "usage without cache"). */
  memUsage?: number;
  /** The memory limit; undefined when there is none. */
  memLimit?: number;
  /** Tasks (threads) in the cgroup. */
  pids?: number;
  blkRead?: number;
  blkWrite?: number;
}

function read(dir: string, file: string): string | undefined {
  try {
    return readFileSync(join(dir, file), "utf8");
  } catch {
    return undefined;
  }
}

function num(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text.trim());
  return Number.isFinite(n) ? n : undefined;
}

/** "key value" lines (memory.stat, cpu.stat) → map. */
export function keyValues(text: string | undefined): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of (text ?? "").split("\n")) {
    const [k, v] = line.split(" ");
    if (k && v !== undefined) m.set(k, Number(v));
  }
  return m;
}

/** Docker's calculateMemUsageUnixNoCache: usage minus inactive file pages, when that makes sense. */
function withoutCache(usage: number, inactiveFile: number | undefined): number {
  return inactiveFile !== undefined && inactiveFile < usage ? usage - inactiveFile : usage;
}

/** v1 blkio lines "8:0 Read 4096", summed per operation over devices. */
export function parseBlkioV1(text: string | undefined): { read: number; write: number } | undefined {
  if (text === undefined) return undefined;
  let read = 0, write = 0;
  for (const line of text.split("\n")) {
    const [dev, op, value] = line.trim().split(/\s+/);
    if (!dev || dev === "Total" || value === undefined) continue;
    if (op === "Read") read += Number(value);
    if (op === "Write") write += Number(value);
  }
  return { read, write };
}

/** v2 io.stat lines "8:0 rbytes=1 wbytes=2 rios=…", summed over devices. */
export function parseIoStatV2(text: string | undefined): { read: number; write: number } | undefined {
  if (text === undefined) return undefined;
  let read = 0, write = 0;
  for (const m of text.matchAll(/\b([rw])bytes=(\d+)/g)) {
    if (m[1] === "r") read += Number(m[2]);
    else write += Number(m[2]);
  }
  return { read, write };
}

/** v1's "no limit" is a page-rounded LLONG_MAX; anything that large means none. */
const NO_LIMIT = 2 ** 62;

function fromV2(dir: string, out: CgroupCounters): void {
  const usec = keyValues(read(dir, "cpu.stat")).get("usage_usec");
  if (usec !== undefined) out.cpuNs = usec * 1000;
  const current = num(read(dir, "memory.current"));
  if (current !== undefined) out.memUsage = withoutCache(current, keyValues(read(dir, "memory.stat")).get("inactive_file"));
  const max = read(dir, "memory.max")?.trim();
  if (max !== undefined && max !== "max") out.memLimit = Number(max);
  out.pids = num(read(dir, "pids.current"));
  const io = parseIoStatV2(read(dir, "io.stat"));
  if (io) [out.blkRead, out.blkWrite] = [io.read, io.write];
}

function fromV1(dir: string, out: CgroupCounters): void {
  out.cpuNs ??= num(read(dir, "cpuacct.usage"));
  const usage = num(read(dir, "memory.usage_in_bytes"));
  if (usage !== undefined && out.memUsage === undefined) {
    out.memUsage = withoutCache(usage, keyValues(read(dir, "memory.stat")).get("total_inactive_file"));
    const limit = num(read(dir, "memory.limit_in_bytes"));
    if (limit !== undefined && limit < NO_LIMIT) out.memLimit = limit;
  }
  out.pids ??= num(read(dir, "pids.current"));
  if (out.blkRead === undefined) {
    const io = parseBlkioV1(read(dir, "blkio.throttle.io_service_bytes_recursive") ?? read(dir, "blkio.throttle.io_service_bytes"));
    if (io) [out.blkRead, out.blkWrite] = [io.read, io.write];
  }
}

export function readCgroupCounters(paths: string[]): CgroupCounters {
  const out: CgroupCounters = {};
  for (const dir of paths) {
    if (isV2(dir)) fromV2(dir, out);
    else fromV1(dir, out);
  }
  return out;
}
