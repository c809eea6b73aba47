/**
 * What the `rr network` commands show: rr's networks plus Docker's two
 * pseudo-networks, host (driver host) and none (driver null), which are
 * modes of `--network`, not records. Their ids are derived from the
 * default network's, so they stay the same for a store.
 */
import { createHash } from "node:crypto";
import { DEFAULT_NETWORK, endpointId, findNetwork, listNetworks, type Attachment, type NetworkRecord } from "../../network/network-store.ts";
import { listContainers, type ContainerRecord } from "../../store/container-store.ts";
import { NotFoundError } from "../../errors.ts";
import { containerNetworkNames } from "../container-row.ts";
import { goTimeString } from "../go-text.ts";
import { shortId } from "../format.ts";
import { naturalCompare } from "../../network/ports.ts";

export interface ShownNetwork {
  id: string;
  name: string;
  driver: string;
  created: string;
  internal: boolean;
  labels: Record<string, string>;
  /** The record, for real networks. */
  rec?: NetworkRecord;
}

const PSEUDO = [{ name: "host", driver: "host" }, { name: "none", driver: "null" }];

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/** Docker lists a network's containers only while they have an endpoint: running or paused. */
const hasLiveEndpoint = (c: ContainerRecord) => c.state.status === "running" || c.state.status === "paused";

function shown(rec: NetworkRecord): ShownNetwork {
  return { id: rec.id, name: rec.name, driver: rec.driver, created: rec.created, internal: rec.internal, labels: rec.labels, rec };
}

function pseudoNetworks(all: NetworkRecord[]): ShownNetwork[] {
  const base = all.find((n) => n.name === DEFAULT_NETWORK)!;
  return PSEUDO.map((p) => ({ id: sha256(`${base.id}:${p.name}`), name: p.name, driver: p.driver, created: base.created, internal: false, labels: {} }));
}

/** Every network, pseudo ones included, sorted by name as `docker network ls` does. */
export function allNetworks(root: string): ShownNetwork[] {
  const all = listNetworks(root);
  return [...all.map(shown), ...pseudoNetworks(all)].sort((a, b) => naturalCompare(a.name, b.name));
}

/** A network by id, name or id prefix; host and none resolve to their pseudo-networks. */
export function resolveNetwork(root: string, ref: string): ShownNetwork {
  try {
    return shown(findNetwork(root, ref));
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    const pseudo = pseudoNetworks(listNetworks(root));
    const hit = pseudo.find((p) => p.name === ref || p.id === ref) ?? (/^[0-9a-f]+$/.test(ref) ? pseudo.find((p) => p.id.startsWith(ref)) : undefined);
    if (hit) return hit;
    throw err;
  }
}

/** A row of `rr network ls`, with Docker's field names (`{{.ID}}`, `{{.Label "k"}}`). */
export function networkRow(n: ShownNetwork, noTrunc: boolean): Record<string, string> {
  const row: Record<string, string> = {
    ID: noTrunc ? n.id : shortId(n.id), Name: n.name, Driver: n.driver, Scope: "local", IPv6: "false",
    Internal: String(n.internal), Labels: labelsText(n.labels), CreatedAt: goTimeString(Date.parse(n.created)),
  };
  Object.defineProperty(row, "Label", { value: (name: string) => n.labels[name] ?? "", enumerable: false });
  return row;
}

export const NETWORK_HEADERS: Record<string, string> = Object.defineProperty({
  ID: "NETWORK ID", Name: "NAME", Driver: "DRIVER", Scope: "SCOPE", IPv6: "IPV6", Internal: "INTERNAL", Labels: "LABELS", CreatedAt: "CREATED AT",
}, "Label", { value: (name: string) => (name.split(".").pop() ?? "").replace(/[-_]/g, " "), enumerable: false });

function labelsText(labels: Record<string, string>): string {
  return Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${v}`).join(",");
}

/** The containers attached to a network (pseudo-networks: the live containers in that mode). */
export function attachedCount(n: ShownNetwork, containers: () => ContainerRecord[]): number {
  if (n.rec) return Object.keys(n.rec.endpoints).length;
  return pseudoMembers(n, containers()).length;
}

function pseudoMembers(n: ShownNetwork, containers: ContainerRecord[]): ContainerRecord[] {
  return containers.filter((c) => hasLiveEndpoint(c) && (c.request as { network?: string } | undefined)?.network === n.name);
}

/**
 * The networks a container is on, for `ps --filter network=`: those it has
 * an address on (running or not, as Docker keeps a stopped container's
 * networks), host/none (with the ids `rr network ls` shows) for those
 * modes, and the name of any other mode (slirp4netns, container:X), as
 * `rr inspect` lists it under Networks (Docker matches those keys).
 */
export function listedNetworks(root: string, endpoints: (containerId: string) => Attachment[]): (rec: ContainerRecord) => { name: string; id: string }[] {
  let pseudo: ShownNetwork[] | undefined;
  return (rec) => {
    const on = endpoints(rec.id);
    return containerNetworkNames(rec, on).map((name) => {
      const attached = on.find((a) => a.network.name === name);
      if (attached) return { name, id: attached.network.id };
      const p = name === "host" || name === "none" ? (pseudo ??= pseudoNetworks(listNetworks(root))).find((x) => x.name === name) : undefined;
      return { name, id: p?.id ?? "" };
    });
  };
}

/** `docker network inspect`'s shape. */
export function networkJson(root: string, n: ShownNetwork): Record<string, unknown> {
  const rec = n.rec;
  const prefix = rec ? rec.subnet.split("/")[1] : "";
  const members: Record<string, unknown> = {};
  const containers = listContainers(root);
  if (rec) {
    const live = new Set(containers.filter(hasLiveEndpoint).map((c) => c.id));
    for (const e of Object.values(rec.endpoints).filter((x) => live.has(x.containerId))) {
      members[e.containerId] = {
        Name: e.containerName, EndpointID: endpointId(rec.id, e.containerId), MacAddress: e.mac,
        IPv4Address: `${e.ip}/${prefix}`, IPv6Address: "",
      };
    }
  } else {
    for (const c of pseudoMembers(n, containers)) {
      members[c.id] = { Name: c.name, EndpointID: endpointId(n.id, c.id), MacAddress: "", IPv4Address: "", IPv6Address: "" };
    }
  }
  const options: Record<string, string> = { ...(rec?.options ?? {}) };
  if (rec?.name === DEFAULT_NETWORK) Object.assign(options, { "com.docker.network.bridge.default_bridge": "true", "com.docker.network.bridge.name": rec.bridge });
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: "local",
    Driver: n.driver,
    EnableIPv6: false,
    IPAM: {
      Driver: "default",
      Options: rec ? {} : null,
      Config: rec ? [{ Subnet: rec.subnet, ...(rec.ipRange ? { IPRange: rec.ipRange } : {}), Gateway: rec.gateway }] : [],
    },
    Internal: n.internal,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: "" },
    ConfigOnly: false,
    Containers: members,
    Options: options,
    Labels: n.labels,
  };
}
