/**
 * How a container's networks become interfaces: which networks, in which
 * order (eth0 first), the names and settings of each veth and bridge, and
 * the wiring through the holder's namespaces.
 */
import { createHash } from "node:crypto";
import type { Identity } from "./identity.ts";
import type { ContainerRecord } from "../store/container-store.ts";
import { openNs, closeNs, type Holder } from "../network/holder.ts";
import { connectToBridge } from "../network/link-setup.ts";
import { endpointsOf, type Attachment, type NetworkRecord } from "../network/network-store.ts";
import { macForIp, prefixLength } from "../network/cidr.ts";

/** The networks a container is on, its primary (--network) first: eth0, eth1, … in this order. */
export function attachedNetworks(root: string, rec: ContainerRecord): Attachment[] {
  const primary = (rec.request as { network?: string } | undefined)?.network;
  return endpointsOf(root, rec.id, primary);
}

/** The veth end on the bridge: unique per container and network, within IFNAMSIZ. */
export function hostInterfaceName(containerId: string, networkId: string): string {
  return "rv" + createHash("sha256").update(containerId + networkId).digest("hex").slice(0, 12);
}

/** ping sockets for every group the container has (Docker's value does not fit a user namespace's map). */
export function pingGroupRange(identity: Identity): string {
  if (identity.mode === "root") return "0 2147483647";
  const top = Math.max(...identity.gidMap.map((m) => m.containerId + m.size - 1));
  return `0 ${top}`;
}

export function endpointSpec(a: Attachment, ifName: string, containerId: string, identity: Identity, defaultRoute: boolean) {
  const prefix = prefixLength(a.network.subnet);
  return {
    bridge: a.network.bridge, hostIf: hostInterfaceName(containerId, a.network.id), ifName,
    ip: a.endpoint.ip, prefix, mac: a.endpoint.mac,
    gateway: defaultRoute && !a.network.internal ? a.network.gateway : undefined,
    pingGroupRange: pingGroupRange(identity), mtu: networkMtu(a.network),
  };
}

/** `rr network create -o mtu=N` (Docker's com.docker.network.driver.mtu). */
function networkMtu(n: NetworkRecord): number | undefined {
  const v = n.options?.["com.docker.network.driver.mtu"];
  return v ? Number(v) : undefined;
}

export function bridgeSpec(n: NetworkRecord) {
  // a fixed MAC: else the bridge takes its lowest port's, which changes as containers come and go (ARP stalls)
  return { name: n.bridge, gateway: n.gateway, prefix: prefixLength(n.subnet), mac: macForIp(n.gateway), internal: n.internal, mtu: networkMtu(n) };
}

/**
 * Wires a container (its net namespace open as containerNet) onto its
 * networks' bridges in the holder: eth0, eth1, … in the order given, the
 * default route through the first that is not --internal (which has none).
 */
export function wireEndpoints(holder: Holder, containerNet: number, nets: Attachment[], containerId: string, identity: Identity): void {
  const routed = nets.findIndex((n) => !n.network.internal);
  const h = openNs(holder);
  try {
    for (const [i, n] of nets.entries()) {
      connectToBridge(h, { net: containerNet }, bridgeSpec(n.network), endpointSpec(n, `eth${i}`, containerId, identity, i === routed));
    }
  } finally {
    closeNs(h);
  }
}
