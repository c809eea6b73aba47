import { describe, expect, test } from "bun:test";
import { cpuPercent, parseNetDev, sampleContainer, type StatsSample } from "../../src/runtime/container-stats.ts";
import { keyValues, parseBlkioV1, parseIoStatV2, readCgroupCounters } from "../../src/runtime/cgroup-stats.ts";
import { hostMemory } from "../../src/runtime/proc-stat.ts";
import { killTree } from "../helpers/process-tree.ts";
import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";

const sample = (cpuNs: number, systemNs: number): StatsSample => ({
  cpuNs, systemNs, onlineCpus: 4, memUsage: 0, memLimit: 0, netRx: 0, netTx: 0, blkRead: 0, blkWrite: 0, pids: 0,
});

describe("cpuPercent()", () => {
  test("is the container's share of the machine's CPU time, times the CPUs (Docker's formula)", () => {
    expect(cpuPercent(sample(0, 0), sample(1e9, 4e9))).toBe(100);
    expect(cpuPercent(sample(0, 0), sample(5e8, 4e9))).toBe(50);
  });
  test("is 0 without a previous reading or when a counter went back", () => {
    expect(cpuPercent(undefined, sample(1e9, 4e9))).toBe(0);
    expect(cpuPercent(sample(2e9, 0), sample(1e9, 4e9))).toBe(0);
  });
});

describe("cgroup file parsers", () => {
  test("v1 blkio sums Read and Write over devices and skips Total", () => {
    const text = "8:0 Read 4096\n8:0 Write 100\n8:16 Read 4\n8:16 Write 1\n8:0 Sync 9\nTotal 4201\n";
    expect(parseBlkioV1(text)).toEqual({ read: 4100, write: 101 });
  });
  test("v2 io.stat sums rbytes and wbytes over devices", () => {
    expect(parseIoStatV2("8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n8:16 rbytes=5 wbytes=0 rios=1\n")).toEqual({ read: 15, write: 20 });
  });
  test("key-value files become maps", () => {
    expect(keyValues("usage_usec 12\nuser_usec 7\n").get("usage_usec")).toBe(12);
  });
  test("net/dev sums every interface but loopback", () => {
    const text = [
      "Inter-|   Receive                                                |  Transmit",
      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed",
      "    lo:  999 1 0 0 0 0 0 0  999 1 0 0 0 0 0 0",
      "  eth0: 1000 2 0 0 0 0 0 0  200 3 0 0 0 0 0 0",
      "  eth1: 24 2 0 0 0 0 0 0  6 3 0 0 0 0 0 0",
    ].join("\n");
    expect(parseNetDev(text)).toEqual({ rx: 1024, tx: 206 });
  });
});

describe("readCgroupCounters()", () => {
  test("reads a v1 set the way Docker does: usage without inactive file pages, no huge limit", () => {
    const dir = mkdtempSync(join(tmpdir(), "rr-cg-"));
    const files: Record<string, string> = {
      "cpuacct.usage": "5000\n", "memory.usage_in_bytes": "10000\n", "memory.stat": "cache 50\ntotal_inactive_file 3000\n",
      "memory.limit_in_bytes": "9223372036854771712\n", "pids.current": "3\n", "blkio.throttle.io_service_bytes_recursive": "8:0 Read 7\n8:0 Write 9\nTotal 16\n",
    };
    for (const [f, v] of Object.entries(files)) writeFileSync(join(dir, f), v);
    expect(readCgroupCounters([dir])).toEqual({ cpuNs: 5000, memUsage: 7000, pids: 3, blkRead: 7, blkWrite: 9 });
  });
  test("reads a v2 directory: cpu.stat in microseconds, memory.max as the limit", () => {
    const dir = mkdtempSync(join(tmpdir(), "rr-cg-"));
    const files: Record<string, string> = {
      "cgroup.controllers": "memory pids\n", "cpu.stat": "usage_usec 12\nuser_usec 10\n", "memory.current": "8192\n",
      "memory.stat": "anon 4096\ninactive_file 4096\n", "memory.max": "65536\n", "pids.current": "2\n", "io.stat": "",
    };
    for (const [f, v] of Object.entries(files)) writeFileSync(join(dir, f), v);
    expect(readCgroupCounters([dir])).toEqual({ cpuNs: 12000, memUsage: 4096, memLimit: 65536, pids: 2, blkRead: 0, blkWrite: 0 });
  });
});

describe("sampleContainer() without a cgroup", () => {
  test("sums the process tree from /proc, with the host's memory as the limit", async () => {
    // a process in the host's pid namespace stands for a container: its tree is used
    const p = Bun.spawn(["sh", "-c", "sleep 30 & sleep 30 & wait"]);
    await Bun.sleep(200);
    try {
      const s = sampleContainer({ pid: p.pid });
      expect(s.pids).toBe(3);
      expect(s.memUsage).toBeGreaterThan(0);
      expect(s.memLimit).toBe(hostMemory());
      expect(s.netRx + s.netTx).toBe(0); // the host's network namespace: none of its own
      expect(s.onlineCpus).toBeGreaterThanOrEqual(1);
    } finally {
      killTree(p.pid);
    }
  });
});
