/**
 * A container's network at each start: which namespaces it joins or makes,
 * the host ports it publishes (bound here, before the container exists, so a
 * taken port is an ordinary error), and the wiring done while its first
 * process waits: veths onto the holder's bridges, slirp4netns, the forwarder.
 */
import { closeSync, openSync } from "node:fs";
import { createHash } from "node:crypto";
import type { Identity } from "./identity.ts";
import type { JoinNamespaces } from "./launch.ts";
import type { RunRequest } from "./run-request.ts";
import { parseNetworkMode, type NetworkMode } from "./network-mode.ts";
import { findContainer, type ContainerRecord, type PublishedPortRecord } from "../store/container-store.ts";
import { ensureHolder, openNs, closeNs, type Holder } from "../network/holder.ts";
import { detectEgress, startSlirp } from "../network/egress.ts";
import { connectToBridge } from "../network/link-setup.ts";
import { endpointsOf, type Endpoint, type NetworkRecord } from "../network/network-store.ts";
import { macForIp, prefixLength } from "../network/cidr.ts";
import { bindPorts, closePorts, exposedPorts, parsePublish, type BoundPort } from "../network/ports.ts";
import { startForwarder } from "../network/port-forwarder.ts";
import { ConflictError } from "../errors.ts";

export interface NetworkStart {
  mode: NetworkMode;
  /** Existing namespaces the container joins. */
  join?: JoinNamespaces;
  /** The container gets a network namespace of its own. */
  newNetns: boolean;
  /** Host ports bound for this run (their fds go to the forwarder). */
  ports: PublishedPortRecord[];
  /** While the first process waits (ids mapped): wire it. lifeline: read end of the lifeline pipe. */
  wire(pid: number, lifeline: number): void;
  /** Closes what rr still holds (bound sockets): after wire, or on failure. */
  close(): void;
}

export interface AttachedNetwork {
  network: NetworkRecord;
  endpoint: Endpoint;
}

/** The networks a container is on, its primary (--network) first: eth0, eth1, … in this order. */
export function attachedNetworks(root: string, rec: ContainerRecord): AttachedNetwork[] {
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

export function endpointSpec(a: AttachedNetwork, ifName: string, containerId: string, identity: Identity, defaultRoute: boolean) {
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

/** Wires a container (its net namespace open as containerNet) onto its networks' bridges in the holder. */
export function wireEndpoints(holder: Holder, containerNet: number, nets: { attached: AttachedNetwork; ifName: string; defaultRoute: boolean }[], containerId: string, identity: Identity): void {
  const h = openNs(holder);
  try {
    for (const n of nets) {
      connectToBridge(h, { net: containerNet }, bridgeSpec(n.attached.network), endpointSpec(n.attached, n.ifName, containerId, identity, n.defaultRoute));
    }
  } finally {
    closeNs(h);
  }
}

function publishedSpecs(req: RunRequest, image: Record<string, unknown> | undefined) {
  const specs = (req.publish ?? []).flatMap(parsePublish);
  if (req.publishAll) specs.push(...exposedPorts(image?.ExposedPorts as Record<string, object> | undefined, req.expose ?? []));
  return specs;
}

export async function prepareNetwork(
  root: string, rec: ContainerRecord, req: RunRequest, identity: Identity, monitorExecutable: () => Promise<string>,
): Promise<NetworkStart> {
  const mode = parseNetworkMode(req.network ?? "host");
  let join: JoinNamespaces | undefined;
  let holder: Holder | undefined;
  let nets: AttachedNetwork[] = [];
  if (mode.kind === "container") {
    const other = findContainer(root, mode.ref);
    if (other.state.status !== "running" && other.state.status !== "paused") {
      throw new ConflictError(`cannot join the network of container ${other.name}: it is not running`, { hint: `Start it first: rr start ${other.name}` });
    }
    const pid = other.state.pid!;
    join = { net: `/proc/${pid}/ns/net`, user: identity.mode === "root" ? undefined : `/proc/${pid}/ns/user` };
  } else if (mode.kind === "network" || mode.kind === "private") {
    // a private container `network connect`ed while stopped is on networks too (egress through the holder)
    nets = attachedNetworks(root, rec);
    if (nets.length) {
      holder = await ensureHolder(root, identity);
      if (holder.userNs) join = { user: holder.userNs };
    }
  }
  const specs = mode.kind === "host" || mode.kind === "none" || mode.kind === "container" ? [] : publishedSpecs(req, rec.imageConfig);
  const monitor = specs.length ? await monitorExecutable() : "";
  const bound: BoundPort[] = bindPorts(specs);
  const egress = mode.kind === "private" && !nets.length ? detectEgress().tool : undefined;
  const close = () => { closePorts(bound); bound.length = 0; };
  return {
    mode, join, newNetns: mode.kind !== "host" && mode.kind !== "container",
    ports: bound.map((p) => p.spec),
    close,
    wire(pid, lifeline) {
      if (egress) startSlirp({ path: egress.path, pid, lifeline, hostLoopback: mode.kind === "private" && mode.hostLoopback });
      if (holder) {
        const net = openSync(`/proc/${pid}/ns/net`, "r");
        try {
          wireEndpoints(holder, net, nets.map((attached, i) => ({ attached, ifName: `eth${i}`, defaultRoute: i === 0 })), rec.id, identity);
        } finally {
          closeSync(net);
        }
      }
      if (bound.length) {
        const target = openNs({ netNs: `/proc/${pid}/ns/net`, userNs: identity.mode === "root" ? undefined : `/proc/${pid}/ns/user` });
        try {
          startForwarder({ monitor, ports: bound, target: { userFd: target.user, netFd: target.net, ip: nets[0]?.endpoint.ip ?? "127.0.0.1" }, lifelineFd: lifeline });
        } finally {
          closeNs(target);
          close();
        }
      }
    },
  };
}
