import { describe, expect, test } from "bun:test";
import {
  blockSize, broadcast, contains, containsCidr, firstUsable, formatCidr, formatIpv4, isIpv4, lastUsable, macForIp, nthAddress,
  overlaps, parseAddress, parseCidr, parseIpv4, prefixLength,
} from "../../src/network/cidr.ts";

const c = (s: string) => parseCidr(s);

describe("IPv4 addresses", () => {
  test("parseIpv4() and formatIpv4() round-trip the ends of the range", () => {
    for (const s of ["0.0.0.0", "255.255.255.255", "172.18.0.2", "10.0.2.100"]) expect(formatIpv4(parseIpv4(s)!)).toBe(s);
    expect(parseIpv4("255.255.255.255")).toBe(0xffffffff);
  });

  test("parseIpv4() rejects what Go's net.ParseIP rejects", () => {
    for (const s of ["", "1.2.3", "1.2.3.4.5", "256.0.0.1", "01.2.3.4", "1.2.3.-4", "a.b.c.d", " 1.2.3.4", "1.2.3.4/8", "::1"]) {
      expect(parseIpv4(s)).toBeUndefined();
      expect(isIpv4(s)).toBe(false);
    }
  });

  test("parseAddress() names the flag and refuses IPv6 in its own words", () => {
    expect(() => parseAddress("172.18.0.300", "gateway")).toThrow('invalid gateway "172.18.0.300": use an IPv4 address like 172.18.0.2');
    expect(() => parseAddress("fd00::1", "IP address")).toThrow('IPv6 IP address "fd00::1" is not supported: rr networks are IPv4 only');
  });

  test("macForIp() is 02:42 and the four bytes, as Docker's", () => {
    expect(macForIp("172.18.0.2")).toBe("02:42:ac:12:00:02");
    expect(macForIp(parseIpv4("10.255.0.1")!)).toBe("02:42:0a:ff:00:01");
  });
});

describe("CIDR blocks", () => {
  test("parseCidr() clears host bits: 172.18.0.1/16 is 172.18.0.0/16, as Docker accepted", () => {
    expect(formatCidr(c("172.18.0.1/16"))).toBe("172.18.0.0/16");
    expect(formatCidr(c("192.168.77.200/20"))).toBe("192.168.64.0/20");
    expect(formatCidr(c("10.0.0.7/32"))).toBe("10.0.0.7/32");
    expect(formatCidr(c("9.9.9.9/0"))).toBe("0.0.0.0/0");
    expect(prefixLength("172.18.0.0/16")).toBe(16);
  });

  test("parseCidr() refuses a bad prefix or address with the example to follow", () => {
    for (const s of ["172.18.0.0/33", "172.18.0.0", "172.18.0.0/", "172.18.0/16", "172.18.0.0/-1", "172.18.0.0/016x", "hadoop"]) {
      expect(() => parseCidr(s)).toThrow(`invalid subnet "${s}": use an IPv4 CIDR like 172.18.0.0/16`);
    }
    expect(() => parseCidr("10.0.0.0/99", "ip-range")).toThrow('invalid ip-range "10.0.0.0/99": use an IPv4 CIDR like 172.18.5.0/24');
  });

  test("parseCidr() refuses IPv6 as out of scope, not as a typo", () => {
    expect(() => parseCidr("fd00:dead::/64")).toThrow('IPv6 subnet "fd00:dead::/64" is not supported: rr networks are IPv4 only');
  });

  test("size, broadcast, first and last usable address", () => {
    const n = c("172.18.0.0/16");
    expect(blockSize(n)).toBe(65536);
    expect(formatIpv4(broadcast(n))).toBe("172.18.255.255");
    expect(formatIpv4(firstUsable(n)!)).toBe("172.18.0.1");
    expect(formatIpv4(lastUsable(n)!)).toBe("172.18.255.254");
    expect(formatIpv4(broadcast(c("0.0.0.0/0")))).toBe("255.255.255.255");
    expect(firstUsable(c("10.0.0.0/31"))).toBeUndefined();
    expect(formatIpv4(lastUsable(c("10.0.0.0/30"))!)).toBe("10.0.0.2");
  });

  test("contains(), containsCidr() and overlaps() at the edges", () => {
    const n = c("172.18.0.0/16");
    expect(contains(n, parseIpv4("172.18.255.255")!)).toBe(true);
    expect(contains(n, parseIpv4("172.19.0.0")!)).toBe(false);
    expect(contains(n, parseIpv4("172.17.255.255")!)).toBe(false);
    expect(containsCidr(n, c("172.18.5.0/24"))).toBe(true);
    expect(containsCidr(n, c("172.18.0.0/15"))).toBe(false);
    expect(overlaps(n, c("172.18.200.0/24"))).toBe(true);
    expect(overlaps(c("172.18.200.0/24"), n)).toBe(true);
    expect(overlaps(n, c("172.19.0.0/16"))).toBe(false);
    expect(overlaps(c("10.0.0.0/8"), c("10.0.2.0/24"))).toBe(true);
    expect(overlaps(c("0.0.0.0/0"), c("255.255.255.255/32"))).toBe(true);
  });

  test("nthAddress() counts from the network address and stops at the block's end", () => {
    const n = c("192.168.16.0/20");
    expect(formatIpv4(nthAddress(n, 0))).toBe("192.168.16.0");
    expect(formatIpv4(nthAddress(n, 258))).toBe("192.168.17.2");
    expect(() => nthAddress(n, 4096)).toThrow("outside 192.168.16.0/20");
  });
});
