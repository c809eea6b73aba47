/**
 * The rtnetlink builders against the bytes measured with
 * docs/networks-probes/nl.c (docs/networks-design.md §3.3), seq zeroed:
 * the C helper numbers messages itself.
 */
import { describe, expect, test } from "bun:test";
import {
  checkIfName, concatMessages, defaultRoute, delLink, linkDown, linkUp, macForIp, newAddr, newBridge, newVeth, parseIPv4, parseMac,
} from "../../src/network/netlink.ts";

const hex = (s: string) => s.replace(/[^0-9a-f]/g, "");
const bytesHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("rtnetlink builders (byte-exact)", () => {
  test("bridge, created up with a fixed MAC (76 bytes)", () => {
    const m = newBridge("rr-hadoop", "02:42:ac:12:00:01");
    expect(bytesHex(m.bytes)).toBe(hex(`
      4c000000 1000 0506 00000000 00000000
      00 00 0000 00000000 01000000 01000000
      0e00 0300 72722d6861646f6f7000 0000
      0a00 0100 0242ac120001 0000
      1000 1200 0b00 0100 62726964676500 00`));
    expect(m.patches).toEqual([]);
  });

  test("an address on an interface (40 bytes)", () => {
    expect(bytesHex(newAddr(2, "172.18.0.1", 16).bytes)).toBe(hex(`
      28000000 1400 0506 00000000 00000000
      02 10 00 00 02000000
      0800 0200 ac120001
      0800 0100 ac120001`));
  });

  test("veth: host end up on master 2, peer eth0 (not up) into netns fd 5 (124 bytes)", () => {
    const m = newVeth("rrv1", 2, "eth0", 5, "02:42:ac:12:00:02");
    expect(bytesHex(m.bytes)).toBe(hex(`
      7c000000 1000 0506 00000000 00000000
      00 00 0000 00000000 01000000 01000000
      0900 0300 7272763100 000000
      0800 0a00 02000000
      4800 1200
        0900 0100 7665746800 000000
        3800 0200
          3400 0100
            00 00 0000 00000000 00000000 00000000
            0900 0300 6574683000 000000
            0800 1c00 05000000
            0a00 0100 0242ac120002 0000`));
  });

  test("link up (lo, and eth0 by index) and default route (32, 44 bytes)", () => {
    expect(bytesHex(linkUp(1).bytes)).toBe(hex("20000000 1000 0500 00000000 00000000 00 00 0000 01000000 01000000 01000000"));
    expect(bytesHex(linkUp(2).bytes)).toBe(hex("20000000 1000 0500 00000000 00000000 00 00 0000 02000000 01000000 01000000"));
    expect(bytesHex(defaultRoute("172.18.0.1", 2).bytes)).toBe(hex(`
      2c000000 1800 0506 00000000 00000000
      02 00 00 00 fe 03 00 01 00000000
      0800 0500 ac120001
      0800 0400 02000000`));
  });

  test("link down and delete by name", () => {
    expect(bytesHex(linkDown(3).bytes)).toBe(hex("20000000 1000 0500 00000000 00000000 00 00 0000 03000000 00000000 01000000"));
    expect(bytesHex(delLink("rv1").bytes)).toBe(hex(`
      28000000 1100 0500 00000000 00000000
      00 00 0000 00000000 00000000 00000000
      0800 0300 72763100`));
  });

  test("a register in place of an index leaves a zero slot and records where it is", () => {
    const veth = newVeth("rrv1", { reg: 3 }, "eth0", 5, "02:42:ac:12:00:02");
    expect(veth.patches).toEqual([{ offset: 48, reg: 3 }]); // IFLA_MASTER's value
    expect(bytesHex(veth.bytes)).toBe(bytesHex(newVeth("rrv1", 0, "eth0", 5, "02:42:ac:12:00:02").bytes));
    expect(linkUp({ reg: 1 }).patches).toEqual([{ offset: 20, reg: 1 }]); // ifi_index
    expect(newAddr({ reg: 0 }, "10.0.0.2", 8).patches).toEqual([{ offset: 20, reg: 0 }]); // ifa_index
    expect(defaultRoute("10.0.0.1", { reg: 2 }).patches).toEqual([{ offset: 40, reg: 2 }]); // RTA_OIF
  });

  test("concatenated messages keep their patches at the right offsets", () => {
    const both = concatMessages([linkUp(1), linkUp({ reg: 4 })]);
    expect(both.bytes.length).toBe(64);
    expect(both.patches).toEqual([{ offset: 52, reg: 4 }]);
  });

  test("an MTU, when asked for, goes on both ends", () => {
    const m = newVeth("rrv1", 2, "eth0", 5, "02:42:ac:12:00:02", 9000);
    expect(m.bytes.length).toBe(124 + 16);
    expect(bytesHex(m.bytes)).toContain(hex("0800 0400 28230000"));
    expect(bytesHex(m.bytes).split(hex("0800 0400 28230000")).length).toBe(3);
  });
});

describe("builder input checks", () => {
  test("interface names the kernel (and /proc/sys paths) accept", () => {
    for (const ok of ["eth0", "rr-0123456789ab", "rv.1_x-y", "a"]) expect(checkIfName(ok)).toBe(ok);
    for (const bad of ["", "rr-0123456789abc", "a/b", "..", ".", "eth 0", "eth0\n", "ünï"]) {
      expect(() => checkIfName(bad)).toThrow(/invalid interface name/);
    }
    expect(() => newBridge("x".repeat(16), "02:42:00:00:00:01")).toThrow(/invalid interface name/);
    expect(() => delLink("../x")).toThrow(/invalid interface name/);
  });

  test("addresses, prefixes and MACs", () => {
    expect([...parseIPv4("10.0.255.1")]).toEqual([10, 0, 255, 1]);
    for (const bad of ["10.0.0", "10.0.0.256", "10.0.0.01", "a.b.c.d", "1.2.3.4.5", ""]) expect(() => parseIPv4(bad)).toThrow(/invalid IPv4/);
    expect(() => newAddr(1, "10.0.0.1", 33)).toThrow(/invalid prefix length 33/);
    expect(() => newAddr(1, "10.0.0.1", 1.5)).toThrow(/invalid prefix/);
    expect([...parseMac("02:42:AC:12:00:ff")]).toEqual([2, 0x42, 0xac, 0x12, 0, 0xff]);
    for (const bad of ["02:42:ac:12:00", "02-42-ac-12-00-01", "02:42:ac:12:00:0g"]) expect(() => parseMac(bad)).toThrow(/invalid MAC/);
  });

  test("macForIp: 02:42 and the address's four bytes", () => {
    expect(macForIp("172.18.0.2")).toBe("02:42:ac:12:00:02");
    expect(macForIp("10.255.0.1")).toBe("02:42:0a:ff:00:01");
    expect(() => macForIp("10.0.0")).toThrow(/invalid IPv4/);
  });
});
