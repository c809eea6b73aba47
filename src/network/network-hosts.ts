/**
 * /etc/hosts for containers on networks (docs/networks-design.md §6): a
 * container's own line, one line per container it shares a network with,
 * and the in-place rewrite that keeps every member's file current when
 * membership changes. In place, because the file is bind-mounted into the
 * container: the mount pins the inode, so a rename over it would not be seen.
 * Lines the container added itself are kept: rr remembers what it wrote last
 * (`hosts.rr`, beside the file, out of the container's sight).
 */
import { closeSync, constants, fstatSync, ftruncateSync, openSync, readSync, renameSync, writeFileSync, writeSync } from "node:fs";
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
  // the short id too, as Docker's DNS answers it
  const own = mine.map(({ endpoint: e }) => namesLine(e.ip, [e.hostname, e.containerName, ...e.aliases, e.containerId.slice(0, 12)]));
  const peers = new Map<string, { ip: number; line: string }>();
  for (const { network } of mine) {
    for (const e of Object.values(network.endpoints)) {
      if (e.containerId === containerId) continue;
      const line = namesLine(e.ip, [e.containerName, e.hostname, ...e.aliases, e.containerId.slice(0, 12)]);
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

/** What rr last wrote to a container's hosts file. */
const LAST_WRITTEN = "hosts.rr";
/** Read no more of a hosts file the container may have filled. */
const HOSTS_READ_MAX = 1 << 20;

/** Records `text` as what rr wrote to dir/hosts (at start, and after each rewrite). */
export function rememberHosts(dir: string, text: string): void {
  const tmp = join(dir, `${LAST_WRITTEN}.${process.pid}.tmp`); // a start and a peer's rewrite may both be writing
  writeFileSync(tmp, text);
  renameSync(tmp, join(dir, LAST_WRITTEN));
}

/**
 * Rewrites dir/hosts with `text` plus the lines the container added since
 * rr last wrote it (an entrypoint's `echo … >> /etc/hosts` survives peers
 * coming and going). A file rr has no record of keeps nothing extra.
 */
export function rewriteHosts(dir: string, text: string): void {
  const path = join(dir, "hosts");
  const last = readHead(join(dir, LAST_WRITTEN));
  const added = last === undefined ? [] : linesAdded(last, readHead(path) ?? "");
  rewriteInPlace(path, text + added.map((l) => `${l}\n`).join(""));
  rememberHosts(dir, text);
}

/** Lines of `now` that `before` did not have (each line of `before` accounts for one equal line of `now`). */
export function linesAdded(before: string, now: string): string[] {
  const had = new Map<string, number>();
  for (const l of before.split("\n")) had.set(l, (had.get(l) ?? 0) + 1);
  return now.split("\n").filter((l) => {
    const n = had.get(l) ?? 0;
    if (n) had.set(l, n - 1);
    return !n && l.trim() !== "";
  });
}

/** The start of a regular file (never through a symlink), or undefined if there is none. */
function readHead(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return undefined;
    const size = st.size;
    const buf = Buffer.alloc(Math.min(size, HOSTS_READ_MAX));
    let off = 0, n: number;
    while (off < buf.length && (n = readSync(fd, buf, off, buf.length - off, off)) > 0) off += n;
    // cut short: only whole lines
    if (size > HOSTS_READ_MAX) off = buf.subarray(0, off).lastIndexOf(0x0a) + 1;
    return buf.toString("utf8", 0, off);
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
        if (text !== undefined) rewriteHosts(containerDir(root, id), text);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") failures.push({ containerId: id, error });
      }
    }
    return failures;
  });
}
