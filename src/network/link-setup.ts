/**
 * Wires bridges and containers in the network holder's namespaces. Each call
 * is one netlink script, run by one helper process (ffi/netlink.c) that
 * enters the namespaces open at the given fds; the caller's own namespaces
 * never change. Errors name the step: "create veth rv1 on bridge rr-abc: …".
 */
import { defaultRoute, delLink, linkUp, newAddr, newBridge, newVeth } from "./netlink.ts";
import { CLONE_NEWNET, CLONE_NEWUSER, NETLINK_ROUTE, NetlinkScript } from "./netlink-script.ts";
import type { Reg } from "./netlink.ts";
import { NETLINK_NETFILTER, holderRules } from "./nft-rules.ts";

/** 02:42 + the four bytes of the IPv4 address (Docker's scheme). */
export { macForIp } from "./netlink.ts";

/** Open fds of /proc/<pid>/ns/user and /ns/net; no user namespace in root mode. */
export interface NsFds {
  user?: number;
  net: number;
}

export interface BridgeSpec {
  name: string;
  gateway: string;
  prefix: number;
  mac: string;
  internal: boolean;
  /** -o mtu=N; else the kernel's 1500 */
  mtu?: number;
}

export interface EndpointSpec {
  bridge: string;
  hostIf: string;
  ifName: string;
  ip: string;
  prefix: number;
  mac: string;
  /** the default route's gateway, when set */
  gateway?: string;
  mtu?: number;
  /** must lie inside the writer's gid map: "0 65536" (rootless), "0 0" (single id), "0 2147483647" (root) */
  pingGroupRange: string;
}

const LOOPBACK_INDEX = 1; // lo is the first device of every network namespace
/** br_netfilter would hand bridged packets to the holder's forward chain, whose isolation rule would drop them. */
const BRIDGE_NF = ["net", "bridge", "bridge-nf-call-iptables"];

function enterHolder(s: NetlinkScript, holder: NsFds): NetlinkScript {
  if (holder.user !== undefined) s.setns(holder.user, CLONE_NEWUSER, "enter the network holder's user namespace");
  return s.setns(holder.net, CLONE_NEWNET, "enter the network holder's network namespace");
}

/** Creates the bridge (up, fixed MAC, gateway address) unless it exists; safe to repeat. */
export function ensureBridge(holder: NsFds, b: BridgeSpec): void {
  const s = enterHolder(new NetlinkScript(), holder);
  bridgeSteps(s, b);
  s.run();
}

/**
 * Connects a container to a bridge: a veth pair whose peer is created in the
 * container's network namespace, then (inside it) lo and the interface up,
 * the address, the default route and the per-namespace sysctls.
 */
export function attachEndpoint(holder: NsFds, container: NsFds, e: EndpointSpec): void {
  const s = enterHolder(new NetlinkScript(), holder);
  endpointSteps(s, container, e, s.ifindex(e.bridge, `find bridge ${e.bridge}`));
  s.run();
}

/** ensureBridge then attachEndpoint in one helper process: what every start on a network does. */
export function connectToBridge(holder: NsFds, container: NsFds, b: BridgeSpec, e: EndpointSpec): void {
  const s = enterHolder(new NetlinkScript(), holder);
  endpointSteps(s, container, e, bridgeSteps(s, b));
  s.run();
}

/** The bridge's steps; its index comes back in a register. */
function bridgeSteps(s: NetlinkScript, b: BridgeSpec): Reg {
  s.sysctl(BRIDGE_NF, "0", { optional: true });
  s.send(NETLINK_ROUTE, newBridge(b.name, b.mac, b.mtu), `create bridge ${b.name}`, { eexistOk: true });
  const br = s.ifindex(b.name, `find bridge ${b.name}`);
  s.send(NETLINK_ROUTE, linkUp(br), `bring up bridge ${b.name}`);
  s.send(NETLINK_ROUTE, newAddr(br, b.gateway, b.prefix), `add address ${b.gateway}/${b.prefix} to bridge ${b.name}`, { eexistOk: true });
  // ip_forward's switch to 1 resets every interface's forwarding: setupHolderNat runs before any bridge exists
  if (b.internal) s.sysctl(["net", "ipv4", "conf", b.name, "forwarding"], "0");
  return br;
}

/** The endpoint's steps, from inside the holder's namespaces; they end inside the container's. */
function endpointSteps(s: NetlinkScript, container: NsFds, e: EndpointSpec, br: Reg): void {
  s.send(NETLINK_ROUTE, delLink(e.hostIf), `remove the stale interface ${e.hostIf}`, { enodevOk: true });
  s.send(NETLINK_ROUTE, newVeth(e.hostIf, br, e.ifName, container.net, e.mac, e.mtu), `create veth ${e.hostIf} on bridge ${e.bridge}`);
  if (container.user !== undefined) s.setns(container.user, CLONE_NEWUSER, "enter the container's user namespace");
  s.setns(container.net, CLONE_NEWNET, "enter the container's network namespace");
  const dev = s.ifindex(e.ifName, `find ${e.ifName} in the container`);
  // before the link goes up: no IPv6 autoconfiguration noise, a gratuitous ARP when it does
  s.sysctl(["net", "ipv6", "conf", e.ifName, "disable_ipv6"], "1", { optional: true });
  s.sysctl(["net", "ipv4", "conf", e.ifName, "arp_notify"], "1");
  s.sysctl(["net", "ipv4", "ip_unprivileged_port_start"], "0");
  s.sysctl(["net", "ipv4", "ping_group_range"], e.pingGroupRange);
  s.send(NETLINK_ROUTE, linkUp(LOOPBACK_INDEX), "bring up lo in the container");
  s.send(NETLINK_ROUTE, newAddr(dev, e.ip, e.prefix), `add address ${e.ip}/${e.prefix} to ${e.ifName} in the container`);
  s.send(NETLINK_ROUTE, linkUp(dev), `bring up ${e.ifName} in the container`);
  if (e.gateway !== undefined) s.send(NETLINK_ROUTE, defaultRoute(e.gateway, dev), `add the default route via ${e.gateway} in the container`);
}

/** Removes a container's host-side veth (its peer goes with it); a missing one is fine. */
export function detachEndpoint(holder: NsFds, hostIf: string): void {
  const s = enterHolder(new NetlinkScript(), holder);
  s.send(NETLINK_ROUTE, delLink(hostIf), `remove interface ${hostIf}`, { enodevOk: true });
  s.run();
}

/**
 * Routing and NAT in the holder: IPv4 forwarding on, masquerade for traffic
 * leaving through egressIf, no routing between rr bridges. Replaces the
 * table as a whole, so it can run again. Call it before creating bridges.
 */
export function setupHolderNat(holder: NsFds, egressIf: string): void {
  const s = enterHolder(new NetlinkScript(), holder);
  s.sysctl(["net", "ipv4", "ip_forward"], "1");
  s.sysctl(BRIDGE_NF, "0", { optional: true });
  s.send(NETLINK_NETFILTER, holderRules(egressIf), `install the network holder's nftables rules (masquerade via ${egressIf})`);
  s.run();
}
