/**
 * A container's place on rr networks over its life: its address is reserved
 * at create (so `--ip` taken is an error before anything runs) and kept
 * across stop/start, released at removal; every change rewrites the peers'
 * /etc/hosts in place.
 */
import type { RunRequest } from "./run-request.ts";
import { parseNetworkMode } from "./network-mode.ts";
import { containerHostname, renderHosts } from "./container-hosts.ts";
import { storedRequest } from "./container-prepare.ts";
import { allocateEndpoint, endpointsOf, findNetwork, listNetworks, releaseAllEndpoints, renameEndpoints } from "../network/network-store.ts";
import { UsageError } from "../errors.ts";
import { refreshPeerHosts, rewriteHosts } from "../network/network-hosts.ts";
import { containerDir, listContainers, readContainer, type ContainerRecord } from "../store/container-store.ts";
import { holderDir, stopHolder } from "../network/holder.ts";
import { existsSync } from "node:fs";

function hostsOf(root: string, id: string): string | undefined {
  try {
    const rec = readContainer(root, id);
    return renderHosts(root, rec, storedRequest(rec));
  } catch {
    return undefined; // being removed
  }
}

/** Rewrites /etc/hosts of every container on these networks, and of `left`, which just left one. */
export function refreshNetworkHosts(root: string, networkIds: string[], left?: string): void {
  if (networkIds.length) refreshPeerHosts(root, networkIds, (id) => hostsOf(root, id));
  const text = left && hostsOf(root, left);
  if (text) {
    try {
      rewriteHosts(containerDir(root, left!), text);
    } catch {} // not started yet: its next start writes it
  }
}

/** At create: an address on each --network the container names (user-defined ones); --ip and aliases on the first. */
export function joinNetworks(root: string, rec: ContainerRecord, req: RunRequest): void {
  const mode = parseNetworkMode(req.network);
  if (mode.kind !== "network") return;
  const hostname = containerHostname(rec, req);
  const names = [mode.name, ...(req.extraNetworks ?? [])];
  const ids = names.map((name) => findNetwork(root, name).id); // a name and an id prefix may be the same network
  const twice = names.find((_, i) => ids.indexOf(ids[i]!) !== i);
  if (twice) throw new UsageError(`network "${twice}" is specified multiple times`);
  const joined = names.map((name, i) => allocateEndpoint(root, name, {
    containerId: rec.id, containerName: rec.name, hostname,
    ...(i === 0 ? { ip: req.ip, aliases: req.networkAliases ?? [] } : { aliases: [] }),
  }).network.id);
  refreshNetworkHosts(root, joined);
}

/** At removal: addresses back to their networks, peers told. */
export function leaveAllNetworks(root: string, containerId: string): void {
  const left = releaseAllEndpoints(root, containerId);
  refreshNetworkHosts(root, left.map((n) => n.id));
}

export function renameOnNetworks(root: string, containerId: string, name: string): void {
  const on = endpointsOf(root, containerId);
  if (!on.length) return;
  renameEndpoints(root, containerId, name);
  refreshNetworkHosts(root, on.map((a) => a.network.id));
}

/** Ends the network holder when no running container is on an rr network (prune). */
export function stopIdleHolder(root: string): void {
  if (!existsSync(holderDir(root))) return;
  const onNetworks = new Set(listNetworks(root).flatMap((n) => Object.keys(n.endpoints)));
  const busy = listContainers(root).some((c) => onNetworks.has(c.id) && ["running", "paused", "restarting"].includes(c.state.status));
  if (!busy) stopHolder(root);
}
