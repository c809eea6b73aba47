/**
 * The netlink script: its encoding, the C runner's checks of it (a malformed
 * script never starts a helper), and steps that need no privilege and change
 * nothing (interface lookups, entering our own namespace).
 */
import { describe, expect, test } from "bun:test";
import { closeSync, openSync } from "node:fs";
import { linkUp } from "../../src/network/netlink.ts";
import { CLONE_NEWNET, NETLINK_ROUTE, NetlinkError, NetlinkScript, SCRIPT_MAGIC } from "../../src/network/netlink-script.ts";
import { netlinkRun } from "../../src/sys/netlink-core.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** A script from raw ops: [type, flags, body]. */
function raw(ops: [number, number, Uint8Array][], magic = SCRIPT_MAGIC): Uint8Array {
  const parts: Buffer[] = [Buffer.alloc(8)];
  parts[0]!.writeUInt32LE(magic, 0);
  parts[0]!.writeUInt32LE(1, 4);
  for (const [type, flags, body] of ops) {
    const size = 8 + ((body.length + 3) & ~3);
    const op = Buffer.alloc(size);
    op.writeUInt16LE(type, 0);
    op.writeUInt16LE(flags, 2);
    op.writeUInt32LE(size, 4);
    op.set(body, 8);
    parts.push(op);
  }
  return Uint8Array.from(Buffer.concat(parts));
}
const u32s = (...v: number[]) => { const b = Buffer.alloc(v.length * 4); v.forEach((x, i) => b.writeUInt32LE(x >>> 0, i * 4)); return b; };
const cat = (...b: Uint8Array[]) => Uint8Array.from(Buffer.concat(b));
const ifindexOp = (reg: number, name: string): [number, number, Uint8Array] => [2, 0, cat(u32s(reg), Buffer.from(name + "\0"))];

describe("script encoding", () => {
  test("header, then ops of {u16 type, u16 flags, u32 size} padded to 4", () => {
    const s = new NetlinkScript();
    s.setns(7, CLONE_NEWNET, "x");
    const r = s.ifindex("eth0", "y");
    s.send(NETLINK_ROUTE, linkUp(r), "z", { eexistOk: true, enodevOk: true });
    s.write("/proc/sys/net/ipv4/ip_forward", "1", "w", { optional: true });
    expect(r).toEqual({ reg: 0 });
    expect(hex(s.encode())).toBe([
      "52524e4c", "01000000",
      "0100 0000 10000000", "07000000 00000040",
      "0200 0000 14000000", "00000000 6574683000 000000",
      "0300 0300 38000000", "00000000 01000000 14000000 00000000", hex(linkUp(0).bytes),
      "0400 0400 30000000", "1e000000 01000000", Buffer.from("/proc/sys/net/ipv4/ip_forward\0").toString("hex"), "31", "00",
    ].join("").replace(/ /g, ""));
  });

  test("registers are handed out in order and run out at 8", () => {
    const s = new NetlinkScript();
    for (let i = 0; i < 8; i++) expect(s.ifindex("lo", "x").reg).toBe(i);
    expect(() => s.ifindex("lo", "x")).toThrow(/out of registers/);
  });

  test("writes outside /proc/sys and bad sysctl names are refused before anything runs", () => {
    const s = new NetlinkScript();
    expect(() => s.write("/etc/passwd", "x", "w")).toThrow(/refusing/);
    expect(() => s.write("/proc/sys/../../etc/passwd", "x", "w")).toThrow(/refusing/);
    expect(() => s.sysctl(["net", "ipv4", "conf", "..", "forwarding"], "0")).toThrow(/bad sysctl/);
    expect(() => s.sysctl(["net", "a/b"], "0")).toThrow(/bad sysctl/);
    expect(() => s.ifindex("a/b", "x")).toThrow(/invalid interface name/);
  });
});

describe("rr_netlink_run checks the script first (EINVAL, no helper)", () => {
  const cases: [string, Uint8Array, number][] = [
    ["bad magic", raw([], 0x12345678), -1],
    ["truncated header", Uint8Array.of(0x52, 0x52, 0x4e), -1],
    ["unknown op", raw([ifindexOp(0, "lo"), [9, 0, u32s(0)]]), 1],
    ["op size past the end", (() => { const b = raw([ifindexOp(0, "lo")]); b[12] = 64; return b; })(), 0],
    ["register out of range", raw([ifindexOp(8, "lo")]), 0],
    ["interface name too long", raw([ifindexOp(0, "x".repeat(16))]), 0],
    ["empty interface name", raw([ifindexOp(0, "")]), 0],
    ["setns to another namespace type", raw([[1, 0, u32s(3, 0x00020000)]]), 0],
    ["patch from a register no IFINDEX set", raw([ifindexOp(0, "lo"), [3, 0, cat(u32s(0, 1, 20, 1), linkUp(0).bytes)]]), 1],
    ["patch past the messages", raw([ifindexOp(0, "lo"), [3, 0, cat(u32s(0, 1, 30, 0), linkUp(0).bytes)]]), 1],
    ["a message without NLM_F_ACK", raw([[3, 0, cat(u32s(0, 0), (() => { const m = linkUp(1).bytes; m[6] = 1; return m; })())]]), 0],
    ["a message longer than the op", raw([[3, 0, cat(u32s(0, 0), (() => { const m = linkUp(1).bytes; m[0] = 36; return m; })())]]), 0],
    ["an unknown netlink protocol", raw([[3, 0, cat(u32s(4, 0), linkUp(1).bytes)]]), 0],
    ["a write outside /proc/sys", raw([[4, 0, cat(u32s(12, 1), Buffer.from("/etc/passwd\0x"))]]), 0],
    ["a write through ..", raw([[4, 0, cat(u32s(26, 1), Buffer.from("/proc/sys/../../etc/hosts\0x"))]]), 0],
    ["a write whose data runs past the op", raw([[4, 0, cat(u32s(30, 9), Buffer.from("/proc/sys/net/ipv4/ip_forward\0" + "1"))]]), 0],
  ];
  for (const [name, script, op] of cases) {
    test(name, () => {
      expect(netlinkRun(script)).toEqual({ ok: false, op, errno: 22, message: -1, detail: "" });
    });
  }
});

describe("rr_netlink_run runs steps in a helper", () => {
  test("an empty script and a lookup of lo succeed", () => {
    expect(netlinkRun(raw([]))).toEqual({ ok: true });
    const s = new NetlinkScript();
    s.ifindex("lo", "find lo");
    expect(() => s.run()).not.toThrow();
  });

  test("a missing interface fails at its step, named in the error", () => {
    const s = new NetlinkScript();
    s.ifindex("lo", "find lo");
    s.ifindex("rr-nonexist0", "find bridge rr-nonexist0");
    let err: unknown;
    try { s.run(); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(NetlinkError);
    expect((err as NetlinkError).errno).toBe(19);
    expect((err as Error).message).toBe("find bridge rr-nonexist0: No such device");
  });

  test("entering our own network namespace is skipped; a bad fd fails", () => {
    const fd = openSync("/proc/self/ns/net", "r");
    try {
      expect(() => new NetlinkScript().setns(fd, CLONE_NEWNET, "enter").run()).not.toThrow();
    } finally {
      closeSync(fd);
    }
    expect(() => new NetlinkScript().setns(999_999, CLONE_NEWNET, "enter the holder's network namespace").run())
      .toThrow("enter the holder's network namespace: Bad file descriptor");
    const notNs = openSync("/proc/self/status", "r");
    try {
      expect(() => new NetlinkScript().setns(notNs, CLONE_NEWNET, "enter").run()).toThrow("enter: Invalid argument");
    } finally {
      closeSync(notNs);
    }
  });

  test("an optional write of a missing sysctl is fine, a required one is not", () => {
    expect(() => new NetlinkScript().sysctl(["net", "ipv4", "conf", "rr-nonexist0", "forwarding"], "0", { optional: true }).run()).not.toThrow();
    expect(() => new NetlinkScript().sysctl(["net", "ipv4", "conf", "rr-nonexist0", "forwarding"], "0").run())
      .toThrow('set net.ipv4.conf.rr-nonexist0.forwarding to "0": No such file or directory');
  });
});
