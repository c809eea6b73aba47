/**
 * Addressing rules for rr networks (Docker's where it has them): a
 * network's subnet (given, or the first free of Docker's default pools),
 * its gateway (given, or the first usable address), an optional ip-range
 * that automatic addresses come from; a container's address (static and
 * checked, or the lowest free one). Pure: callers pass what is taken.
 */
import { ConflictError, RrError, UsageError } from "../errors.ts";
import {
  broadcast, contains, containsCidr, firstUsable, formatCidr, formatIpv4, lastUsable, overlaps, parseAddress, parseCidr,
  type Cidr,
} from "./cidr.ts";

export interface Addressing {
  subnet: Cidr;
  gateway: number;
  ipRange?: Cidr;
}

/** A block a new network must not overlap, and why, for the error. */
export interface Reserved {
  cidr: Cidr;
  /** "network hadoop (172.18.0.0/16)", or a sentence about the egress tap. */
  owner: string;
}

/** Blocks no network may use: they mean something else in the network namespace. */
const SPECIAL: { cidr: Cidr; what: string }[] = [
  { cidr: parseCidr("0.0.0.0/8"), what: `"this network" block 0.0.0.0/8` },
  { cidr: parseCidr("127.0.0.0/8"), what: "the loopback block 127.0.0.0/8" },
  { cidr: parseCidr("224.0.0.0/3"), what: "the multicast and reserved blocks 224.0.0.0/3" },
];

/** Docker's default address pools: 172.17–31.0.0/16 (17 is the default network's), then 192.168.0.0/16 in /20s. */
export function defaultPools(): Cidr[] {
  const pools: Cidr[] = [];
  for (let b = 18; b <= 31; b++) pools.push({ network: ((172 << 24) | (b << 16)) >>> 0, prefix: 16 });
  for (let i = 0; i < 16; i++) pools.push({ network: ((192 << 24) | (168 << 16) | ((i * 16) << 8)) >>> 0, prefix: 20 });
  return pools;
}

/** The first default pool that overlaps nothing in use (networks, reserved blocks, the host's routes). */
export function chooseSubnet(inUse: Cidr[]): Cidr {
  const free = defaultPools().find((p) => !inUse.some((u) => overlaps(p, u)));
  if (!free) {
    throw new RrError("all of rr's default address pools are in use (172.18.0.0/16 to 172.31.0.0/16, 192.168.0.0/16 in /20s)", {
      hint: "Remove unused networks (rr network prune), or give the network its own --subnet.",
    });
  }
  return free;
}

/**
 * A new network's addressing from its flags, checked against the networks
 * and blocks it must not overlap. `avoid` (the host's routes) only steers
 * the automatic choice; a subnet the user gave is theirs to pick.
 */
export function planAddressing(o: {
  subnet?: string; gateway?: string; ipRange?: string; reserved: Reserved[]; avoid?: Cidr[];
}): Addressing {
  if (o.subnet === undefined && (o.gateway !== undefined || o.ipRange !== undefined)) {
    throw new UsageError("every ip-range or gateway must have a corresponding subnet", { hint: "Add --subnet CIDR, e.g. --subnet 172.18.0.0/16." });
  }
  const subnet = o.subnet === undefined
    ? chooseSubnet([...o.reserved.map((r) => r.cidr), ...(o.avoid ?? [])])
    : checkSubnet(parseCidr(o.subnet, "subnet"), o.reserved);
  const shown = formatCidr(subnet);
  let gateway = firstUsable(subnet)!;
  if (o.gateway !== undefined) {
    gateway = parseAddress(o.gateway, "gateway");
    if (!contains(subnet, gateway)) throw new UsageError(`gateway ${o.gateway} is not in subnet ${shown}`);
    if (gateway === subnet.network || gateway === broadcast(subnet)) {
      const which = gateway === subnet.network ? "network" : "broadcast";
      throw new UsageError(`gateway ${o.gateway} is the ${which} address of subnet ${shown}`, { hint: `Use an address between ${formatIpv4(firstUsable(subnet)!)} and ${formatIpv4(lastUsable(subnet)!)}.` });
    }
  }
  let ipRange: Cidr | undefined;
  if (o.ipRange !== undefined) {
    ipRange = parseCidr(o.ipRange, "ip-range");
    if (!containsCidr(subnet, ipRange)) throw new UsageError(`ip-range ${formatCidr(ipRange)} is not inside subnet ${shown}`);
  }
  return { subnet, gateway, ...(ipRange ? { ipRange } : {}) };
}

function checkSubnet(subnet: Cidr, reserved: Reserved[]): Cidr {
  const shown = formatCidr(subnet);
  if (subnet.prefix > 30) {
    throw new UsageError(`subnet ${shown} is too small: it needs room for a gateway and a container`, { hint: "Use a prefix of /30 or shorter, e.g. 172.18.0.0/24." });
  }
  const special = SPECIAL.find((s) => overlaps(s.cidr, subnet));
  if (special) throw new UsageError(`subnet ${shown} overlaps ${special.what}`, { hint: "Use a private range such as 172.18.0.0/16 or 192.168.100.0/24." });
  const clash = reserved.find((r) => overlaps(r.cidr, subnet));
  if (clash) throw new ConflictError(`subnet ${shown} overlaps with ${clash.owner}`, { hint: "Choose another --subnet, or leave it out to get a free one." });
  return subnet;
}

/** Who holds each address of a network (container names), plus the network's own name for messages. */
export interface Taken {
  network: string;
  byIp: Map<number, string>;
}

/** A static address (--ip): inside the subnet, a host address, not the gateway, free. */
export function checkStaticAddress(a: Addressing, ipText: string, taken: Taken): number {
  const ip = parseAddress(ipText, "IP address");
  const subnet = formatCidr(a.subnet);
  if (!contains(a.subnet, ip)) throw new UsageError(`IP address ${ipText} is not in network ${taken.network}'s subnet ${subnet}`);
  if (ip === a.subnet.network || ip === broadcast(a.subnet)) {
    const which = ip === a.subnet.network ? "network" : "broadcast";
    throw new UsageError(`IP address ${ipText} is the ${which} address of network ${taken.network}'s subnet ${subnet}`);
  }
  if (ip === a.gateway) throw new ConflictError(`IP address ${ipText} is the gateway of network ${taken.network}`, { hint: "Choose another --ip." });
  const owner = taken.byIp.get(ip);
  if (owner !== undefined) {
    throw new ConflictError(`IP address ${ipText} is already in use by container ${owner}`, { hint: "Choose another --ip, or leave it out to get the next free address." });
  }
  return ip;
}

/** The lowest free address of the ip-range (else the subnet): never the network, broadcast or gateway address. */
export function nextFreeAddress(a: Addressing, taken: Taken): number {
  const from = a.ipRange ?? a.subnet;
  const first = Math.max(from.network, a.subnet.network + 1);
  const last = Math.min(broadcast(from), broadcast(a.subnet) - 1);
  for (let ip = first; ip <= last; ip++) {
    if (ip !== a.gateway && !taken.byIp.has(ip)) return ip;
  }
  throw new ConflictError(`network ${taken.network} has no free IP addresses left in ${formatCidr(from)}`, {
    hint: "Remove or disconnect a container, or use a network with a larger --subnet or --ip-range.",
  });
}

/**
 * The host's IPv4 routes from /proc/net/route (addresses in the kernel's
 * byte order, little-endian here), the default route left out.
 */
export function parseRouteTable(text: string): Cidr[] {
  const out: Cidr[] = [];
  for (const line of text.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || !/^[0-9A-Fa-f]{8}$/.test(f[1]!) || !/^[0-9A-Fa-f]{8}$/.test(f[7]!)) continue;
    const dest = swap32(parseInt(f[1]!, 16));
    const mask = swap32(parseInt(f[7]!, 16));
    if (mask === 0) continue;
    out.push({ network: (dest & mask) >>> 0, prefix: Math.clz32(~mask) }); // leading ones of the mask
  }
  return out;
}

function swap32(n: number): number {
  return (((n & 0xff) << 24) | ((n & 0xff00) << 8) | ((n >>> 8) & 0xff00) | (n >>> 24)) >>> 0;
}
