/**
 * IPv4 addresses and CIDR blocks as plain numbers (unsigned 32-bit), for
 * subnets, gateways, ranges and allocations. Pure: no files, no syscalls.
 * IPv6 is refused with its own message (rr networks are IPv4 only).
 */
import { UsageError } from "../errors.ts";

/** A block: its network address (host bits cleared) and prefix length. */
export interface Cidr {
  network: number;
  prefix: number;
}

/** A dotted quad → number; undefined unless it is exactly four decimal bytes (no leading zeros, as Go). */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return undefined;
    const b = Number(p);
    if (b > 255) return undefined;
    n = n * 256 + b;
  }
  return n;
}

export function isIpv4(text: string): boolean {
  return parseIpv4(text) !== undefined;
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** The netmask of a prefix length as a number (prefix 0 → 0: JS shifts count mod 32). */
export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

const EXAMPLE: Record<string, string> = { subnet: "172.18.0.0/16", "ip-range": "172.18.5.0/24" };

/**
 * "172.18.0.0/16" → Cidr. Host bits may be set ("172.18.0.1/16" means
 * 172.18.0.0/16), as Docker accepted. `what` names the flag in errors.
 */
export function parseCidr(text: string, what = "subnet"): Cidr {
  if (text.includes(":")) {
    throw new UsageError(`IPv6 ${what} "${text}" is not supported: rr networks are IPv4 only`, {
      hint: `Use an IPv4 CIDR like ${EXAMPLE[what] ?? EXAMPLE.subnet}.`,
    });
  }
  const m = /^([^/]+)\/(\d{1,2})$/.exec(text);
  const ip = m ? parseIpv4(m[1]!) : undefined;
  const prefix = m ? Number(m[2]) : NaN;
  if (ip === undefined || !(prefix >= 0 && prefix <= 32)) {
    throw new UsageError(`invalid ${what} "${text}": use an IPv4 CIDR like ${EXAMPLE[what] ?? EXAMPLE.subnet}`);
  }
  return { network: (ip & maskOf(prefix)) >>> 0, prefix };
}

/** An address given on its own (--gateway, --ip); `what` names it in errors. */
export function parseAddress(text: string, what: string): number {
  if (text.includes(":")) {
    throw new UsageError(`IPv6 ${what} "${text}" is not supported: rr networks are IPv4 only`, { hint: "Use an IPv4 address like 172.18.0.2." });
  }
  const ip = parseIpv4(text);
  if (ip === undefined) throw new UsageError(`invalid ${what} "${text}": use an IPv4 address like 172.18.0.2`);
  return ip;
}

/** The prefix length of a stored (already valid) CIDR string: "172.18.0.0/16" → 16. */
export function prefixLength(cidr: string): number {
  return parseCidr(cidr).prefix;
}

export function formatCidr(c: Cidr): string {
  return `${formatIpv4(c.network)}/${c.prefix}`;
}

/** Number of addresses in the block (2^(32-prefix)). */
export function blockSize(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function broadcast(c: Cidr): number {
  return c.network + blockSize(c) - 1;
}

export function contains(c: Cidr, ip: number): boolean {
  return ip >= c.network && ip <= broadcast(c);
}

/** inner lies wholly inside outer. */
export function containsCidr(outer: Cidr, inner: Cidr): boolean {
  return contains(outer, inner.network) && contains(outer, broadcast(inner));
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.network <= broadcast(b) && b.network <= broadcast(a);
}

/** The nth address of the block (0 is the network address). */
export function nthAddress(c: Cidr, n: number): number {
  if (!Number.isInteger(n) || n < 0 || n >= blockSize(c)) {
    throw new RangeError(`address ${n} is outside ${formatCidr(c)}`);
  }
  return c.network + n;
}

/** First and last addresses a host may have: the network and broadcast addresses excluded (/31 and /32 have none). */
export function firstUsable(c: Cidr): number | undefined {
  return c.prefix <= 30 ? c.network + 1 : undefined;
}

export function lastUsable(c: Cidr): number | undefined {
  return c.prefix <= 30 ? broadcast(c) - 1 : undefined;
}

/** Docker's MAC for an address: 02:42 then the four address bytes. */
export function macForIp(ip: number | string): string {
  const n = typeof ip === "string" ? parseIpv4(ip) : ip;
  if (n === undefined) throw new RangeError(`not an IPv4 address: ${ip}`);
  const bytes = [0x02, 0x42, n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
}
