/**
 * rtnetlink messages for bridges, veths, addresses and routes, built byte for
 * byte (layouts measured in docs/networks-design.md §3.3). Pure: the C helper
 * (ffi/netlink.c) numbers them and sends them. An interface index can be a
 * register of the script (`{ reg }`), which the helper fills in at run time
 * from the interface's name.
 */
import { RrError } from "../errors.ts";

export const NLM_F_REQUEST = 0x1;
export const NLM_F_ACK = 0x4;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
export const NLM_F_APPEND = 0x800;
export const NLA_F_NESTED = 0x8000;

const RTM_NEWLINK = 16, RTM_DELLINK = 17, RTM_NEWADDR = 20, RTM_NEWROUTE = 24;
const IFLA_ADDRESS = 1, IFLA_IFNAME = 3, IFLA_MTU = 4, IFLA_MASTER = 10, IFLA_LINKINFO = 18, IFLA_NET_NS_FD = 28;
const IFLA_INFO_KIND = 1, IFLA_INFO_DATA = 2, VETH_INFO_PEER = 1;
const IFA_ADDRESS = 1, IFA_LOCAL = 2;
const RTA_OIF = 4, RTA_GATEWAY = 5;
const AF_INET = 2, IFF_UP = 1;
const RT_TABLE_MAIN = 254, RTPROT_BOOT = 3, RTN_UNICAST = 1;
const IFNAMSIZ = 16;

/** A register of the netlink script: an interface index looked up by name in the helper. */
export interface Reg {
  reg: number;
}
export type IfIndex = number | Reg;

/** One or more netlink messages, and the u32 slots to fill from registers before sending. */
export interface NlMessage {
  bytes: Uint8Array;
  patches: { offset: number; reg: number }[];
}

/** Appends a netlink message: header, fixed part, attributes (padded to 4, nests sized on close). */
export class NlWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private len = 0;
  private readonly patches: NlMessage["patches"] = [];

  constructor(type: number, flags: number) {
    this.u32(0).u16(type).u16(flags | NLM_F_REQUEST).u32(0).u32(0);
  }

  private room(n: number): number {
    if (this.len + n > this.buf.length) {
      const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
      bigger.set(this.buf);
      this.buf = bigger;
      this.view = new DataView(bigger.buffer);
    }
    const at = this.len;
    this.len += n;
    return at;
  }

  u8(v: number): this { this.view.setUint8(this.room(1), v); return this; }
  u16(v: number): this { this.view.setUint16(this.room(2), v, true); return this; }
  u32(v: number): this { this.view.setUint32(this.room(4), v >>> 0, true); return this; }
  u32be(v: number): this { this.view.setUint32(this.room(4), v >>> 0, false); return this; }
  /** An interface index, or a slot the helper fills from a register. */
  index(v: IfIndex): this {
    if (typeof v === "number") return this.u32(v);
    this.patches.push({ offset: this.len, reg: v.reg });
    return this.u32(0);
  }
  raw(b: Uint8Array): this { this.buf.set(b, this.room(b.length)); return this; }
  pad(): this { while (this.len % 4) this.u8(0); return this; }

  attr(type: number, payload: Uint8Array): this {
    return this.u16(4 + payload.length).u16(type).raw(payload).pad();
  }
  attrStr(type: number, s: string): this { return this.attr(type, cstring(s)); }
  attrU32(type: number, v: number): this { return this.u16(8).u16(type).u32(v); }
  attrU32be(type: number, v: number): this { return this.u16(8).u16(type).u32be(v); }
  attrIndex(type: number, v: IfIndex): this { return this.u16(8).u16(type).index(v); }
  /** A nest: its length covers the children written by fill. */
  nest(type: number, fill: (w: this) => void): this {
    const at = this.len;
    this.u16(0).u16(type);
    fill(this);
    this.view.setUint16(at, this.len - at, true);
    return this;
  }

  done(): NlMessage {
    this.view.setUint32(0, this.len, true);
    return { bytes: this.buf.slice(0, this.len), patches: this.patches };
  }
}

/** Several messages sent together (one send(), one ack each). */
export function concatMessages(msgs: NlMessage[]): NlMessage {
  const total = msgs.reduce((n, m) => n + m.bytes.length, 0);
  const bytes = new Uint8Array(total);
  const patches: NlMessage["patches"] = [];
  let at = 0;
  for (const m of msgs) {
    bytes.set(m.bytes, at);
    for (const p of m.patches) patches.push({ offset: at + p.offset, reg: p.reg });
    at += m.bytes.length;
  }
  return { bytes, patches };
}

function cstring(s: string): Uint8Array {
  return new TextEncoder().encode(s + "\0");
}

/** Throws unless name is a usable interface name (it also becomes a /proc/sys path component). */
export function checkIfName(name: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || Buffer.byteLength(name) >= IFNAMSIZ || name === "." || name === "..") {
    throw new RrError(`invalid interface name "${name}": use 1 to ${IFNAMSIZ - 1} letters, digits, "_", "-" or "."`);
  }
  return name;
}

export function parseIPv4(ip: string): Uint8Array {
  const parts = ip.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255)) {
    throw new RrError(`invalid IPv4 address "${ip}"`);
  }
  return Uint8Array.from(parts.map(Number));
}

export function parseMac(mac: string): Uint8Array {
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(mac)) throw new RrError(`invalid MAC address "${mac}"`);
  return Uint8Array.from(mac.split(":").map((h) => parseInt(h, 16)));
}

function ifinfo(w: NlWriter, index: IfIndex, up: boolean): NlWriter {
  return w.u8(0).u8(0).u16(0).index(index).u32(up ? IFF_UP : 0).u32(up ? IFF_UP : 0);
}

/** A bridge, created up, with a fixed MAC (else it takes its lowest port's, which changes). */
export function newBridge(name: string, mac: string, mtu?: number): NlMessage {
  const w = ifinfo(new NlWriter(RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL), 0, true);
  w.attrStr(IFLA_IFNAME, checkIfName(name));
  if (mtu !== undefined) w.attrU32(IFLA_MTU, mtu);
  w.attr(IFLA_ADDRESS, parseMac(mac));
  w.nest(IFLA_LINKINFO, (l) => l.attrStr(IFLA_INFO_KIND, "bridge"));
  return w.done();
}

/** An IPv4 address (local = address) on an interface. */
export function newAddr(index: IfIndex, ip: string, prefix: number): NlMessage {
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new RrError(`invalid prefix length ${prefix}`);
  const a = parseIPv4(ip);
  const w = new NlWriter(RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  w.u8(AF_INET).u8(prefix).u8(0).u8(0).index(index);
  return w.attr(IFA_LOCAL, a).attr(IFA_ADDRESS, a).done();
}

/**
 * A veth pair: the host end up and enslaved to master, the peer created
 * directly in the network namespace open at peerNetnsFd (an fd the helper
 * inherits). The peer must not be created up: the kernel answers ENOTCONN.
 */
export function newVeth(hostName: string, master: IfIndex, peerName: string, peerNetnsFd: number, peerMac: string, mtu?: number): NlMessage {
  const w = ifinfo(new NlWriter(RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL), 0, true);
  w.attrStr(IFLA_IFNAME, checkIfName(hostName));
  if (mtu !== undefined) w.attrU32(IFLA_MTU, mtu);
  w.attrIndex(IFLA_MASTER, master);
  w.nest(IFLA_LINKINFO, (l) => {
    l.attrStr(IFLA_INFO_KIND, "veth");
    l.nest(IFLA_INFO_DATA, (d) => d.nest(VETH_INFO_PEER, (p) => {
      ifinfo(p, 0, false);
      p.attrStr(IFLA_IFNAME, checkIfName(peerName));
      p.attrU32(IFLA_NET_NS_FD, peerNetnsFd);
      if (mtu !== undefined) p.attrU32(IFLA_MTU, mtu);
      p.attr(IFLA_ADDRESS, parseMac(peerMac));
    }));
  });
  return w.done();
}

export function linkUp(index: IfIndex): NlMessage {
  return ifinfo(new NlWriter(RTM_NEWLINK, NLM_F_ACK), index, true).done();
}

export function linkDown(index: IfIndex): NlMessage {
  return new NlWriter(RTM_NEWLINK, NLM_F_ACK).u8(0).u8(0).u16(0).index(index).u32(0).u32(IFF_UP).done();
}

/** default via gateway dev oif, in the main table. */
export function defaultRoute(gateway: string, oif: IfIndex): NlMessage {
  const w = new NlWriter(RTM_NEWROUTE, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  w.u8(AF_INET).u8(0).u8(0).u8(0).u8(RT_TABLE_MAIN).u8(RTPROT_BOOT).u8(0).u8(RTN_UNICAST).u32(0);
  return w.attr(RTA_GATEWAY, parseIPv4(gateway)).attrIndex(RTA_OIF, oif).done();
}

/** Deletes a link by name (a veth's peer goes with it). ENODEV when there is none. */
export function delLink(name: string): NlMessage {
  return ifinfo(new NlWriter(RTM_DELLINK, NLM_F_ACK), 0, false).attrStr(IFLA_IFNAME, checkIfName(name)).done();
}

/** Docker's scheme: 02:42 and the four bytes of the IPv4 address. */
export function macForIp(ip: string): string {
  return ["02", "42", ...[...parseIPv4(ip)].map((b) => b.toString(16).padStart(2, "0"))].join(":");
}
