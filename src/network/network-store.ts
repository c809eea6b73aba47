/**
 * Network records: $ROOT/networks/<64-hex id>.json, each written
 * atomically, with the network's addressing and its endpoints (the
 * containers attached, their reserved addresses). Every change (create,
 * remove, an endpoint allocated or released) runs under one lock,
 * $ROOT/networks/.lock, and re-reads what it changes there: two creates of
 * one name, or two containers asking for one address, cannot both win.
 * Readers take no lock (a record is the old file or the new one).
 * The default network, "bridge", is made on first use, as Docker's.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { createHash, randomBytes } from "node:crypto";
import { writeJsonAtomic } from "../store/atomic.ts";
import { withLock } from "../store/lock.ts";
import { VALID_NAME } from "../store/container-names.ts";
import { containerDir } from "../store/container-store.ts";
import { ConflictError, NotFoundError, RrError, UsageError } from "../errors.ts";
import { formatCidr, formatIpv4, macForIp, parseCidr, parseIpv4, type Cidr } from "./cidr.ts";
import { checkStaticAddress, nextFreeAddress, parseRouteTable, planAddressing, type Addressing, type Reserved, type Taken } from "./ipam.ts";
import { SLIRP_SUBNET } from "./egress.ts";

export interface Endpoint {
  containerId: string;
  containerName: string;
  ip: string;
  /** macForIp(ip): "02:42:" + the four address bytes in hex. */
  mac: string;
  aliases: string[];
  hostname?: string;
}

export interface NetworkRecord {
  id: string;
  name: string;
  driver: "bridge";
  subnet: string;
  gateway: string;
  ipRange?: string;
  internal: boolean;
  labels: Record<string, string>;
  /** Driver options kept from `-o` (only com.docker.network.driver.mtu today). */
  options?: Record<string, string>;
  created: string;
  /** The Linux bridge in the holder's namespace: "rr-" + id.slice(0, 12) (15 characters, IFNAMSIZ - 1). */
  bridge: string;
  /** containerId → its endpoint. */
  endpoints: Record<string, Endpoint>;
}

export const DEFAULT_NETWORK = "bridge";
const DEFAULT_SUBNET = "172.17.0.0/16";
const DEFAULT_GATEWAY = "172.17.0.1";

/** Docker's predefined networks: "bridge" is a real one here; host and none are modes, not records. */
export const PREDEFINED_NETWORKS = ["bridge", "host", "none"] as const;

export const networksDir = (root: string) => join(root, "networks");
const recordPath = (root: string, id: string) => join(networksDir(root), `${id}.json`);
const RECORD = /^[0-9a-f]{64}\.json$/;

let lockDepth = 0;

/**
 * Runs fn holding the networks lock. Re-entrant within this process (flock
 * on a second fd would wait for ourselves), so store functions may be
 * called from inside it; fn must be synchronous.
 */
export function withNetworkLock<T>(root: string, fn: () => T): T {
  if (lockDepth > 0) return fn();
  mkdirSync(networksDir(root), { recursive: true, mode: 0o700 });
  return withLock(join(networksDir(root), ".lock"), () => {
    lockDepth++;
    try {
      const out = fn();
      if (out instanceof Promise) throw new RrError("withNetworkLock: fn must be synchronous");
      return out;
    } finally {
      lockDepth--;
    }
  });
}

function readAll(root: string): NetworkRecord[] {
  let names: string[];
  try {
    names = readdirSync(networksDir(root)).filter((n) => RECORD.test(n));
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    try {
      return [JSON.parse(readFileSync(join(networksDir(root), n), "utf8")) as NetworkRecord];
    } catch {
      return []; // removed meanwhile
    }
  }).sort((a, b) => (a.created < b.created ? -1 : a.created > b.created ? 1 : 0));
}

function write(root: string, rec: NetworkRecord): void {
  writeJsonAtomic(recordPath(root, rec.id), rec, { fsync: false });
}

function newRecord(all: NetworkRecord[], fields: Omit<NetworkRecord, "id" | "bridge" | "created" | "endpoints">): NetworkRecord {
  let id: string;
  do id = randomBytes(32).toString("hex"); // a 12-hex bridge name shared by two networks: draw again
  while (all.some((n) => n.id.slice(0, 12) === id.slice(0, 12)));
  return { id, ...fields, created: new Date().toISOString(), bridge: `rr-${id.slice(0, 12)}`, endpoints: {} };
}

/** Every network, the default one included (made here on first use). */
export function listNetworks(root: string): NetworkRecord[] {
  const all = readAll(root);
  if (all.some((n) => n.name === DEFAULT_NETWORK)) return all;
  return withNetworkLock(root, () => {
    const again = readAll(root);
    if (!again.some((n) => n.name === DEFAULT_NETWORK)) {
      const rec = newRecord(again, { name: DEFAULT_NETWORK, driver: "bridge", subnet: DEFAULT_SUBNET, gateway: DEFAULT_GATEWAY, internal: false, labels: {} });
      write(root, rec);
      again.push(rec);
    }
    return again;
  });
}

/** By full id, name, or unique id prefix (Docker's order). */
export function findNetwork(root: string, ref: string): NetworkRecord {
  const all = listNetworks(root);
  const found = all.find((n) => n.id === ref) ?? all.find((n) => n.name === ref);
  if (found) return found;
  const byPrefix = /^[0-9a-f]+$/.test(ref) ? all.filter((n) => n.id.startsWith(ref)) : [];
  if (byPrefix.length === 1) return byPrefix[0]!;
  if (byPrefix.length > 1) {
    throw new RrError(`multiple networks match the id prefix "${ref}"`, { code: "AMBIGUOUS", hint: "Use more characters of the id, or the name." });
  }
  throw new NotFoundError(`network ${ref} not found`, { hint: "List networks with 'rr network ls', or make one with 'rr network create NAME'." });
}

export interface CreateNetworkOptions {
  name: string;
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  internal: boolean;
  labels: Record<string, string>;
  options?: Record<string, string>;
}

export function checkNetworkName(name: string): void {
  if (name.startsWith("container:")) {
    throw new UsageError(`invalid network name "${name}": container:NAME is how --network shares another container's network`);
  }
  if (!VALID_NAME.test(name)) throw new UsageError(`invalid network name "${name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  if (name === "host" || name === "none") {
    throw new UsageError(`network name ${name} is reserved: host and none are predefined networks`, { hint: "Choose another name." });
  }
}

export function createNetwork(root: string, o: CreateNetworkOptions): NetworkRecord {
  checkNetworkName(o.name);
  listNetworks(root); // the default network first: its subnet is taken
  return withNetworkLock(root, () => {
    const all = readAll(root);
    if (all.some((n) => n.name === o.name)) {
      // the default network cannot be removed: only another name helps
      const hint = o.name === DEFAULT_NETWORK ? "Choose another name." : `Remove it first (rr network rm ${o.name}), or choose another name.`;
      throw new ConflictError(`network with name ${o.name} already exists`, { hint });
    }
    const reserved: Reserved[] = [
      ...all.map((n) => ({ cidr: parseCidr(n.subnet), owner: `network ${n.name} (${n.subnet})` })),
      { cidr: parseCidr(SLIRP_SUBNET), owner: `${SLIRP_SUBNET}, which rr's egress (slirp4netns' tap0) uses in the namespace that holds the network bridges` },
    ];
    const a = planAddressing({ subnet: o.subnet, gateway: o.gateway, ipRange: o.ipRange, reserved, avoid: hostRoutes() });
    const rec = newRecord(all, {
      name: o.name, driver: "bridge", subnet: formatCidr(a.subnet), gateway: formatIpv4(a.gateway),
      ...(a.ipRange ? { ipRange: formatCidr(a.ipRange) } : {}),
      internal: o.internal, labels: o.labels, ...(o.options && Object.keys(o.options).length ? { options: o.options } : {}),
    });
    write(root, rec);
    return rec;
  });
}

/** The host's routes, so an automatic subnet does not hide part of the host's own networks from containers. */
function hostRoutes(): Cidr[] {
  try {
    return parseRouteTable(readFileSync("/proc/net/route", "utf8"));
  } catch {
    return [];
  }
}

/**
 * Endpoints whose container is gone (its directory removed by an rm that
 * was cut short before it released them). Callers allocate an endpoint
 * only after the container's directory exists.
 */
function dropStale(root: string, rec: NetworkRecord): boolean {
  let changed = false;
  for (const id of Object.keys(rec.endpoints)) {
    if (!existsSync(containerDir(root, id))) {
      delete rec.endpoints[id];
      changed = true;
    }
  }
  return changed;
}

function inUseError(rec: NetworkRecord): ConflictError {
  const names = Object.values(rec.endpoints).map((e) => e.containerName).sort();
  return new ConflictError(`network ${rec.name} is in use by container(s) ${names.join(", ")}`, {
    hint: `Remove them (rr rm -f ${names[0]}) or disconnect them (rr network disconnect ${rec.name} ${names[0]}) first.`,
  });
}

export function removeNetwork(root: string, ref: string): NetworkRecord {
  return withNetworkLock(root, () => {
    const rec = findNetwork(root, ref);
    if (rec.name === DEFAULT_NETWORK) {
      throw new ConflictError(`${rec.name} is a pre-defined network and cannot be removed`);
    }
    if (dropStale(root, rec)) write(root, rec);
    if (Object.keys(rec.endpoints).length) throw inUseError(rec);
    unlinkSync(recordPath(root, rec.id));
    return rec;
  });
}

/** Removes every network but the default that no container uses and that match() accepts; returns them. */
export function pruneNetworks(root: string, match: (rec: NetworkRecord) => boolean): NetworkRecord[] {
  return withNetworkLock(root, () => {
    const removed: NetworkRecord[] = [];
    for (const rec of listNetworks(root)) {
      if (rec.name === DEFAULT_NETWORK || !match(rec)) continue;
      if (dropStale(root, rec)) write(root, rec);
      if (Object.keys(rec.endpoints).length) continue;
      unlinkSync(recordPath(root, rec.id));
      removed.push(rec);
    }
    return removed;
  });
}

const VALID_ALIAS = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export interface AllocateOptions {
  containerId: string;
  containerName: string;
  /** A static address (--ip); else the next free one. */
  ip?: string;
  aliases: string[];
  hostname?: string;
}

/**
 * Reserves the container's address on a network (kept until it is
 * released: across stop and start). A container already attached gets its
 * endpoint back unchanged.
 */
export function allocateEndpoint(root: string, ref: string, o: AllocateOptions): { network: NetworkRecord; endpoint: Endpoint } {
  for (const a of o.aliases) {
    if (!VALID_ALIAS.test(a)) throw new UsageError(`invalid network alias "${a}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  return withNetworkLock(root, () => {
    const network = findNetwork(root, ref);
    const mine = network.endpoints[o.containerId];
    if (mine) return { network, endpoint: mine };
    if (network.name === DEFAULT_NETWORK) {
      if (o.ip !== undefined) throw new UsageError("user specified IP address is supported on user defined networks only", { hint: "Create a network with --subnet and use --network NAME --ip ADDRESS." });
      if (o.aliases.length) throw new UsageError("network-scoped alias is supported only for containers in user defined networks", { hint: "Create a network and use --network NAME --network-alias ALIAS." });
    }
    dropStale(root, network);
    const a = addressingOf(network);
    const taken = takenOf(network);
    const ip = o.ip === undefined ? nextFreeAddress(a, taken) : checkStaticAddress(a, o.ip, taken);
    const endpoint: Endpoint = {
      containerId: o.containerId, containerName: o.containerName, ip: formatIpv4(ip), mac: macForIp(ip),
      aliases: [...new Set(o.aliases)], ...(o.hostname ? { hostname: o.hostname } : {}),
    };
    network.endpoints[o.containerId] = endpoint;
    write(root, network);
    return { network, endpoint };
  });
}

function addressingOf(n: NetworkRecord): Addressing {
  return { subnet: parseCidr(n.subnet), gateway: parseIpv4(n.gateway)!, ...(n.ipRange ? { ipRange: parseCidr(n.ipRange, "ip-range") } : {}) };
}

function takenOf(n: NetworkRecord): Taken {
  return { network: n.name, byIp: new Map(Object.values(n.endpoints).map((e) => [parseIpv4(e.ip)!, e.containerName])) };
}

/** Frees the container's address on one network (nothing to do when it is not attached). */
export function releaseEndpoint(root: string, ref: string, containerId: string): void {
  withNetworkLock(root, () => {
    const network = findNetwork(root, ref);
    if (!network.endpoints[containerId]) return;
    delete network.endpoints[containerId];
    write(root, network);
  });
}

/** Frees the container's addresses everywhere (on rm); returns the networks it left. */
export function releaseAllEndpoints(root: string, containerId: string): NetworkRecord[] {
  return withNetworkLock(root, () => {
    const left: NetworkRecord[] = [];
    for (const network of readAll(root)) {
      if (!network.endpoints[containerId]) continue;
      delete network.endpoints[containerId];
      write(root, network);
      left.push(network);
    }
    return left;
  });
}

/**
 * The networks a container is on: the primary one (its --network) first,
 * then by name, so eth0, eth1, … and /etc/hosts never depend on the order
 * the directory lists its files in.
 */
export function endpointsOf(root: string, containerId: string, primary?: string): Attachment[] {
  return attachmentsIn(readAll(root), containerId, primary);
}

/** A container's place on one network. */
export interface Attachment { network: NetworkRecord; endpoint: Endpoint }

function attachmentsIn(networks: NetworkRecord[], containerId: string, primary?: string): Attachment[] {
  const on = networks.flatMap((network) => {
    const endpoint = network.endpoints[containerId];
    return endpoint ? [{ network, endpoint }] : [];
  });
  return on.sort((a, b) => Number(b.network.name === primary) - Number(a.network.name === primary) || a.network.name.localeCompare(b.network.name));
}

/** endpointsOf for a listing of many containers: the network files are read once, at the first question. */
export function endpointReader(root: string): (containerId: string) => Attachment[] {
  let networks: NetworkRecord[] | undefined;
  return (containerId) => attachmentsIn((networks ??= readAll(root)), containerId);
}

/** A container's EndpointID on a network: one value for `rr inspect` and `rr network inspect`. */
export function endpointId(networkId: string, containerId: string): string {
  return createHash("sha256").update(`${networkId}/${containerId}`).digest("hex");
}

/** After `rr rename`: the container's name on every network it is on. */
export function renameEndpoints(root: string, containerId: string, newName: string): void {
  withNetworkLock(root, () => {
    for (const network of readAll(root)) {
      const e = network.endpoints[containerId];
      if (!e || e.containerName === newName) continue;
      e.containerName = newName;
      write(root, network);
    }
  });
}
