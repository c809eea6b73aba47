/**
 * A container's network at each start: which namespaces it joins or makes,
 * the host ports it publishes (bound here, before its first process exists, so a
 * taken port is an ordinary error), and the wiring done while its first
 * process waits: veths onto the holder's bridges, slirp4netns, the forwarder.
 */
import { closeSync, openSync } from "node:fs";
import type { Identity } from "./identity.ts";
import type { JoinNamespaces } from "./launch.ts";
import type { RunRequest } from "./run-request.ts";
import { parseNetworkMode, type NetworkMode } from "./network-mode.ts";
import { findContainer, type ContainerRecord, type PublishedPortRecord } from "../store/container-store.ts";
import { openNs, closeNs, type Holder } from "../network/holder.ts";
import { networkHolder } from "./network-holder.ts";
import { attachedNetworks, wireEndpoints } from "./endpoint-wiring.ts";
import type { Attachment } from "../network/network-store.ts";
import { detectEgress, startSlirp } from "../network/egress.ts";
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

function publishedSpecs(req: RunRequest, image: Record<string, unknown> | undefined) {
  const specs = (req.publish ?? []).flatMap(parsePublish);
  if (req.publishAll) specs.push(...exposedPorts(image?.ExposedPorts as Record<string, object> | undefined, req.expose ?? []));
  return specs;
}

export async function prepareNetwork(
  root: string, rec: ContainerRecord, req: RunRequest, identity: Identity, monitorExecutable: () => Promise<string>, warn: (message: string) => void,
): Promise<NetworkStart> {
  const mode = parseNetworkMode(req.network ?? "host");
  let join: JoinNamespaces | undefined;
  let holder: Holder | undefined;
  let nets: Attachment[] = [];
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
      holder = await networkHolder(root, identity, warn);
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
          wireEndpoints(holder, net, nets, rec.id, identity);
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
