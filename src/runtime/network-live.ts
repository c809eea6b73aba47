/**
 * `rr network connect/disconnect` on a running container: a veth added to
 * (or taken from) its network namespace while it runs. Rootless, only a
 * container that already lives in the holder's user namespace (one started
 * on a network) can take a veth: the kernel refuses to move one into a
 * sibling user namespace's netns.
 */
import { closeSync, openSync, readFileSync, statSync } from "node:fs";
import type { Identity } from "./identity.ts";
import { openNs, closeNs, type Holder } from "../network/holder.ts";
import { connectToBridge, detachEndpoint } from "../network/link-setup.ts";
import type { Endpoint, NetworkRecord } from "../network/network-store.ts";
import { bridgeSpec, endpointSpec, hostInterfaceName } from "./endpoint-wiring.ts";
import { refreshNetworkHosts } from "./network-membership.ts";
import type { ContainerRecord } from "../store/container-store.ts";
import { ConflictError } from "../errors.ts";

/** The interfaces in the container's network namespace. */
function interfaces(pid: number): string[] {
  return readFileSync(`/proc/${pid}/net/dev`, "utf8").split("\n").slice(2)
    .map((l) => l.split(":")[0]!.trim()).filter(Boolean);
}

/** Whether the namespace already routes everywhere (eth0 of a network, or tap0 of its own slirp4netns). */
function hasDefaultRoute(pid: number): boolean {
  return readFileSync(`/proc/${pid}/net/route`, "utf8").split("\n").slice(1)
    .some((l) => { const f = l.trim().split(/\s+/); return f[1] === "00000000" && f[7] === "00000000"; });
}

function sameNamespace(a: string, b: string): boolean {
  const x = statSync(a), y = statSync(b);
  return x.ino === y.ino && x.dev === y.dev;
}

/** holder: from networkHolder(), called before the endpoint was added (a holder it restarts re-wires the container's other networks). */
export function connectRunning(root: string, identity: Identity, holder: Holder, rec: ContainerRecord, network: NetworkRecord, endpoint: Endpoint): void {
  const pid = rec.state.pid!;
  if (holder.userNs && !sameNamespace(holder.userNs, `/proc/${pid}/ns/user`)) {
    throw new ConflictError(`cannot connect the running container ${rec.name}: it was not started on an rr network`, {
      hint: `Stop it, connect it, and start it again (rootless, a veth cannot enter its user namespace while it runs).`,
    });
  }
  const taken = new Set(interfaces(pid));
  let n = 0;
  while (taken.has(`eth${n}`)) n++;
  const spec = endpointSpec({ network, endpoint }, `eth${n}`, rec.id, identity, !hasDefaultRoute(pid)); // the route it has stays
  const h = openNs(holder);
  let net: number;
  try {
    net = openSync(`/proc/${pid}/ns/net`, "r");
  } catch (err) {
    closeNs(h);
    throw err;
  }
  try {
    connectToBridge(h, { net }, bridgeSpec(network), spec);
  } catch (err) {
    try {
      detachEndpoint(h, spec.hostIf); // a veth made before the failing step must not keep the address the caller releases
    } catch {} // the first error is the one to report
    throw err;
  } finally {
    closeSync(net);
    closeNs(h);
  }
  refreshNetworkHosts(root, [network.id]);
}

export function disconnectRunning(holder: Holder, rec: ContainerRecord, network: NetworkRecord): void {
  const h = openNs(holder);
  try {
    detachEndpoint(h, hostInterfaceName(rec.id, network.id));
  } finally {
    closeNs(h);
  }
}
