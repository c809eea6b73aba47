/**
 * /etc/hosts for containers on networks (docs/networks-design.md §6): a
 * container's own line, one line per container it shares a network with,
 * and the in-place rewrite that keeps every member's file current when
 * membership changes. In place, because the file is bind-mounted into the
 * container: the mount pins the inode, so a rename over it would not be seen.
 */
import { closeSync, constants, fstatSync, ftruncateSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { containerDir } from "../store/container-store.ts";
import { endpointsOf, listNetworks, withNetworkLock } from "./network-store.ts";

/** A name that may go into a hosts line (nothing that would split or comment it). */
const SAFE_NAME = /^[^\s#]+$/;

function namesLine(ip: string, names: (string | undefined)[]): string {
  const unique = [...new Set(names.filter((n): n is string => !!n && SAFE_NAME.test(n)))];
  return `${ip}\t${unique.join(" ")}`;
}

/**
 * The network part of a container's /etc/hosts: `IP\thostname name aliases`
 * for each of its endpoints (the primary network's first), then `IP\tname hostname aliases` for every
 * other container on those networks (sorted by address, no duplicates).
 */
export function networkHostsLines(root: string, containerId: string, primary?: string): string[] {
  const mine = endpointsOf(root, containerId, primary);
  const own = mine.map(({ endpoint: e }) => namesLine(e.ip, [e.hostname, e.containerName, ...e.aliases]));
  const peers = new Map<string, { ip: number; line: string }>();
  for (const { network } of mine) {
    for (const e of Object.values(network.endpoints)) {
      if (e.containerId === containerId) continue;
      const line = namesLine(e.ip, [e.containerName, e.hostname, ...e.aliases]);
      peers.set(line, { ip: ipOrder(e.ip), line });
    }
  }
  const sortedPeers = [...peers.values()].sort((a, b) => a.ip - b.ip || (a.line < b.line ? -1 : 1)).map((p) => p.line);
  return [...new Set([...own, ...sortedPeers])];
}

function ipOrder(ip: string): number {
  return ip.split(".").reduce((n, b) => n * 256 + Number(b), 0);
}

/** Rewrites a file without replacing it: write at offset 0, then cut to length. Never follows a symlink. */
export function rewriteInPlace(path: string, text: string): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    if (!fstatSync(fd).isFile()) throw Object.assign(new Error(`${path} is not a regular file`), { code: "EINVAL" });
    const bytes = Buffer.from(text);
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off, off);
    ftruncateSync(fd, bytes.length);
  } finally {
    closeSync(fd);
  }
}

export interface HostsFailure {
  containerId: string;
  error: unknown;
}

/**
 * Rewrites the hosts file of every container on these networks, under the
 * networks lock so two updates never interleave. Containers whose
 * directory or hosts file is gone (removed, or created and never started:
 * start writes it) are skipped; other failures are returned, not thrown.
 */
export function refreshPeerHosts(root: string, networkIds: string[], render: (containerId: string) => string | undefined): HostsFailure[] {
  return withNetworkLock(root, () => {
    const wanted = new Set(networkIds);
    const members = new Set<string>();
    for (const n of listNetworks(root)) if (wanted.has(n.id)) for (const id of Object.keys(n.endpoints)) members.add(id);
    const failures: HostsFailure[] = [];
    for (const id of members) {
      try {
        const text = render(id);
        if (text !== undefined) rewriteInPlace(join(containerDir(root, id), "hosts"), text);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") failures.push({ containerId: id, error });
      }
    }
    return failures;
  });
}
