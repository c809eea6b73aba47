/**
 * A container's generated /etc/hosts: localhost, its own name (its address
 * on rr networks, else 127.0.1.1), its network peers, then --add-host lines.
 * Rendered at each start and again, in place, when peers come and go.
 */
import { hostname as hostHostname } from "node:os";
import { hostsFile } from "./etc-files.ts";
import type { RunRequest } from "./run-request.ts";
import { networkHostsLines } from "../network/network-hosts.ts";
import type { ContainerRecord } from "../store/container-store.ts";

export function containerHostname(rec: ContainerRecord, req: RunRequest): string {
  return req.hostname ?? (req.network === "host" || req.network === undefined ? hostHostname() : rec.id.slice(0, 12));
}

export function renderHosts(root: string, rec: ContainerRecord, req: RunRequest): string {
  const lines = req.network === "host" ? [] : networkHostsLines(root, rec.id, req.network);
  return hostsFile(containerHostname(rec, req), req.addHosts ?? [], req.network ?? "host", lines);
}
