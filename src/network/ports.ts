/**
 * Published ports: `-p`/`-P` parsed with Docker's rules and messages, the
 * host sockets bound before the container's process exists (a taken port fails the
 * run up front), and the `rr ps` / `rr port` renderings.
 */
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { ConflictError, NotFoundError, RrError, SyscallError, UsageError } from "../errors.ts";
import { bindSocket, closeFd } from "../sys/sockets.ts";

export type Proto = "tcp" | "udp";

/** One `-p` mapping. hostIp "" = all addresses (0.0.0.0 and [::]); hostPort 0 = any free port. */
export interface PortSpec {
  hostIp: string;
  hostPort: number;
  /** Set for `-p 8000-8010:80`: take the first free port of hostPort..hostPortEnd. */
  hostPortEnd?: number;
  containerPort: number;
  proto: Proto;
}

/** What the container record stores: the address and port actually bound. */
export interface PublishedPort {
  hostIp: string;
  hostPort: number;
  containerPort: number;
  proto: Proto;
}

/** A bound host socket (close-on-exec) for one published port. */
export interface BoundPort {
  spec: PublishedPort;
  fd: number;
}

const EADDRINUSE = 98, EACCES = 13, EADDRNOTAVAIL = 99;

/** Docker's `--publish` long form `published=8080,target=80,protocol=udp` as `8080:80/udp`. */
function standardNotation(spec: string): string {
  if (!spec.includes("=")) return spec;
  const params: Record<string, string> = { protocol: "tcp" };
  for (const param of spec.split(",")) {
    const eq = param.indexOf("=");
    if (eq <= 0) throw new UsageError(`invalid publish opts format (should be name=value but got '${param}')`);
    params[param.slice(0, eq)] = param.slice(eq + 1);
  }
  return `${params.published ?? ""}:${params.target ?? ""}/${params.protocol}`;
}

/** strconv.ParseUint(s, 10, 16) */
function portNumber(s: string): number | undefined {
  return /^[0-9]{1,5}$/.test(s) && Number(s) <= 65535 ? Number(s) : undefined;
}

/** Docker's ParsePortRange: "80" or "80-90"; undefined when malformed. */
export function parsePortRange(s: string): [number, number] | undefined {
  const parts = s.split("-");
  if (parts.length > 2) return undefined;
  const start = portNumber(parts[0]!), end = parts.length === 2 ? portNumber(parts[1]!) : start;
  if (start === undefined || end === undefined || end < start) return undefined;
  return [start, end];
}

/** "80/udp" → ["udp", "80"]; "80" → ["tcp", "80"]; "" → ["", ""] (Docker's SplitProtoPort). */
function splitProtoPort(raw: string): [string, string] {
  const parts = raw.split("/");
  if (!raw || !parts[0]) return ["", ""];
  if (parts.length === 1 || !parts[1]) return ["tcp", parts[0]];
  return [parts[1], parts[0]];
}

function checkProto(proto: string): Proto {
  const p = proto.toLowerCase();
  if (p === "tcp" || p === "udp") return p;
  if (p === "sctp") throw new UsageError(`publishing sctp ports is not supported`, { hint: "Publish tcp or udp ports." });
  throw new UsageError(`invalid proto: ${proto}`);
}

/** `-p [HOSTIP:][HOSTPORT[-END]:]CTRPORT[-END][/tcp|/udp]` → one spec per container port. */
export function parsePublish(raw: string): PortSpec[] {
  const spec = standardNotation(raw);
  const parts = spec.split(":");
  const n = parts.length;
  // Docker's splitParts: everything before the last two fields is the IP (IPv6 has colons)
  let ip = n >= 3 ? parts.slice(0, n - 2).join(":") : "";
  const hostPart = n >= 2 ? parts[n - 2]! : "";
  const [protoRaw, ctrPart] = splitProtoPort(parts[n - 1]!);
  if (ip.startsWith("[")) {
    if (!ip.endsWith("]")) throw new UsageError(`invalid IP address ${ip}: missing ']' in address`);
    ip = ip.slice(1, -1);
  }
  if (ip && !isIP(ip)) throw new UsageError(`invalid IP address: ${ip}`);
  if (!ctrPart) throw new UsageError(`no port specified: ${spec}<empty>`);
  const ctr = parsePortRange(ctrPart);
  if (!ctr || ctr[0] === 0) throw new UsageError(`invalid containerPort: ${ctrPart}`);
  let host: [number, number] | undefined;
  if (hostPart) {
    host = parsePortRange(hostPart);
    if (!host) throw new UsageError(`invalid hostPort: ${hostPart}`);
    // a host range for a single container port is the range to pick a free port from
    if (host[1] - host[0] !== ctr[1] - ctr[0] && ctr[0] !== ctr[1]) {
      throw new UsageError(`invalid ranges specified for container and host Ports: ${ctrPart} and ${hostPart}`);
    }
  }
  const proto = checkProto(protoRaw);
  const out: PortSpec[] = [];
  for (let i = 0; i <= ctr[1] - ctr[0]; i++) {
    const s: PortSpec = { hostIp: ip, hostPort: host ? host[0] + i : 0, containerPort: ctr[0] + i, proto };
    if (host && ctr[0] === ctr[1] && host[0] !== host[1]) s.hostPortEnd = host[1];
    out.push(s);
  }
  return out;
}

/** `--expose 80`, `--expose 8000-8010/udp` → the ports (Docker's messages). */
export function parseExpose(raw: string): { port: number; proto: Proto }[] {
  if (raw.includes(":")) throw new UsageError(`invalid port format for --expose: ${raw}`);
  const [proto, port] = splitProtoPort(raw);
  const range = parsePortRange(port);
  if (!range) throw new UsageError(`invalid range format for --expose: ${raw}, error: invalid port: ${port || "<empty>"}`);
  const p = checkProto(proto);
  const out: { port: number; proto: Proto }[] = [];
  for (let i = range[0]; i <= range[1]; i++) out.push({ port: i, proto: p });
  return out;
}

/** `-P`: every exposed port (image ExposedPorts and `--expose`) on a free host port of all addresses. */
export function exposedPorts(imageExposed: Record<string, unknown> | undefined, extra: string[]): PortSpec[] {
  const seen = new Map<string, PortSpec>();
  for (const raw of [...Object.keys(imageExposed ?? {}), ...extra]) {
    for (const { port, proto } of parseExpose(raw)) {
      seen.set(`${port}/${proto}`, { hostIp: "", hostPort: 0, containerPort: port, proto });
    }
  }
  return [...seen.values()].sort((a, b) => a.containerPort - b.containerPort || a.proto.localeCompare(b.proto));
}

function unprivilegedPortStart(): number {
  try {
    return Number(readFileSync("/proc/sys/net/ipv4/ip_unprivileged_port_start", "utf8").trim());
  } catch {
    return 1024;
  }
}

/** The error for a failed bind, in words a user can act on. */
function bindError(err: unknown, ip: string, port: number, ctr: number, proto: Proto): Error {
  const where = hostPort(ip, port);
  if (err instanceof RangeError) return new UsageError(`invalid IP address: ${ip}`);
  if (!(err instanceof SyscallError)) return err as Error;
  if (err.errno === EADDRINUSE) {
    return new ConflictError(`port ${port}/${proto} is already in use on ${shownIp(ip)}`, {
      hint: `Choose another host port with -p HOSTPORT:${ctr}, or stop what uses it.`,
    });
  }
  if (err.errno === EACCES && port > 0 && port < unprivilegedPortStart()) {
    const start = unprivilegedPortStart();
    return new RrError(`cannot publish ${where}/${proto}: ports below ${start} need privileges`, {
      hint: `Publish port ${start} or higher, or allow lower ones (as root): sysctl -w net.ipv4.ip_unprivileged_port_start=${port}`,
    });
  }
  if (err.errno === EADDRNOTAVAIL) {
    return new RrError(`cannot publish on ${shownIp(ip)}: no interface of this host has that address`, {
      hint: "Use an address of this host, or leave the IP out to publish on all of them.",
    });
  }
  return new RrError(`cannot publish ${where}/${proto}`, { cause: err });
}

/** Docker's "all addresses": 0.0.0.0 and, where the host has IPv6, [::] on the same port. */
const ALL_IPV4 = "0.0.0.0", ALL_IPV6 = "::";

/**
 * Whether rr's network namespace has IPv6 (::1 on lo). Binding [::] works
 * even where IPv6 is disabled on every interface, but nothing could reach it.
 */
export function hostHasIpv6(): boolean {
  try {
    return readFileSync("/proc/net/if_inet6", "utf8").split("\n").some((l) => l.startsWith(`${"0".repeat(31)}1 `));
  } catch {
    return false;
  }
}

/** Tries for a kernel-picked port that is free on 0.0.0.0 but taken on [::]. */
const PICK_AGAIN = 8;

/** A bind that failed, with the address and port it was for. */
class BindFailure {
  constructor(readonly cause: unknown, readonly ip: string, readonly port: number) {}
}

const inUse = (err: unknown) => err instanceof SyscallError && err.errno === EADDRINUSE;

/** Binds s on one port (0: the kernel's pick) on each of its addresses (`everywhere` for no host IP); all or nothing. */
function bindAt(s: PortSpec, port: number, everywhere: string[]): BoundPort[] {
  const bound: BoundPort[] = [];
  for (const ip of s.hostIp ? [s.hostIp] : everywhere) {
    const want = bound[0]?.spec.hostPort ?? port;
    try {
      const got = bindSocket(s.proto, ip, want);
      bound.push({ fd: got.fd, spec: { hostIp: ip, hostPort: got.port, containerPort: s.containerPort, proto: s.proto } });
    } catch (err) {
      closePorts(bound);
      throw new BindFailure(err, ip, want);
    }
  }
  return bound;
}

/** Binds one spec, walking its host port range if it has one. */
function bindOne(s: PortSpec, everywhere: string[]): BoundPort[] {
  const last = s.hostPortEnd ?? s.hostPort;
  let again = s.hostPort === 0 ? PICK_AGAIN : 0;
  for (let port = s.hostPort; ;) {
    try {
      return bindAt(s, port, everywhere);
    } catch (failure) {
      if (!(failure instanceof BindFailure)) throw failure;
      const { cause, ip } = failure;
      if (inUse(cause) && port < last) { port++; continue; }
      if (inUse(cause) && again-- > 0) continue;
      if (inUse(cause) && last !== s.hostPort) {
        throw new ConflictError(`every port of ${s.hostPort}-${last}/${s.proto} is already in use on ${shownIp(ip)}`, {
          hint: `Choose another host port range with -p START-END:${s.containerPort}.`,
        });
      }
      throw bindError(cause, ip, failure.port, s.containerPort, s.proto);
    }
  }
}

/**
 * Binds (and for tcp listens on) every spec's host socket in rr's own
 * network namespace. All or nothing: on a failure the sockets already
 * bound are closed before the error is thrown.
 */
export function bindPorts(specs: PortSpec[]): BoundPort[] {
  refuseTwins(specs);
  const everywhere = specs.some((s) => !s.hostIp) && hostHasIpv6() ? [ALL_IPV4, ALL_IPV6] : [ALL_IPV4];
  const bound: BoundPort[] = [];
  try {
    for (const s of specs) bound.push(...bindOne(s, everywhere));
    return bound;
  } catch (err) {
    closePorts(bound);
    throw err;
  }
}

/** Whether two host addresses overlap: "" is every address, 0.0.0.0 every IPv4 one, :: every IPv6 one ([::] is v6-only here). */
function overlap(a: string, b: string): boolean {
  if (a === "" || b === "" || a === b) return true;
  const wildcard = (w: string, x: string) => (w === ALL_IPV4 && !x.includes(":")) || (w === ALL_IPV6 && x.includes(":"));
  return wildcard(a, b) || wildcard(b, a);
}

/** Two -p with one host port, protocol and address: the second could only fail, as if someone else held the port. */
function refuseTwins(specs: PortSpec[]): void {
  const fixed = specs.filter((s) => s.hostPort && s.hostPortEnd === undefined);
  fixed.forEach((s, i) => {
    const twin = fixed.slice(0, i).find((t) => t.proto === s.proto && t.hostPort === s.hostPort && overlap(t.hostIp, s.hostIp));
    if (twin) {
      throw new UsageError(`host port ${s.hostPort}/${s.proto} is published twice (to container ports ${twin.containerPort} and ${s.containerPort})`, {
        hint: "Give each -p its own host port.",
      });
    }
  });
}

export function closePorts(bound: BoundPort[]): void {
  for (const b of bound) closeFd(b.fd);
}

/** An address as Docker prints it: brackets around IPv6. */
export function shownIp(ip: string): string {
  return ip.includes(":") ? `[${ip}]` : ip;
}

/** Go's net.JoinHostPort. */
function hostPort(ip: string, port: number): string {
  return `${shownIp(ip)}:${port}`;
}

/**
 * The PORTS column of `rr ps`, as Docker's DisplayablePorts: ports that
 * keep their number on the host are grouped into ranges
 * ("0.0.0.0:8000-8001->8000-8001/tcp"), others listed one by one
 * ("127.0.0.1:8080->80/tcp"), exposed-only ports as "80/tcp".
 */
export function formatPorts(ports: PublishedPort[], exposedOnly: { port: number; proto: Proto }[] = []): string {
  const all = [
    ...ports.map((p) => ({ ip: p.hostIp, pub: p.hostPort, priv: p.containerPort, proto: p.proto as string })),
    ...exposedOnly.map((e) => ({ ip: "", pub: 0, priv: e.port, proto: e.proto as string })),
  ].sort((a, b) => a.priv - b.priv || cmp(a.ip, b.ip) || a.pub - b.pub || cmp(a.proto, b.proto));
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [], mappings: string[] = [];
  for (const p of all) {
    let key = p.proto;
    if (p.ip !== "") {
      if (p.pub !== p.priv) {
        mappings.push(`${hostPort(p.ip, p.pub)}->${p.priv}/${p.proto}`);
        continue;
      }
      key = `${p.ip}/${p.proto}`;
    }
    const g = groups.get(key);
    if (g && p.priv === g.last + 1) {
      g.last = p.priv;
      continue;
    }
    if (g) {
      result.push(formGroup(key, g.first, g.last));
      groups.delete(key); // re-inserted at the end, as Docker's key order does not change
    }
    groups.set(key, { first: p.priv, last: p.priv });
  }
  for (const [key, g] of groups) result.push(formGroup(key, g.first, g.last));
  return [...result, ...mappings].join(", ");
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function formGroup(key: string, first: number, last: number): string {
  const slash = key.lastIndexOf("/");
  const ip = slash > 0 ? key.slice(0, slash) : "", proto = key.slice(slash + 1);
  const range = first === last ? `${first}` : `${first}-${last}`;
  if (!ip) return `${range}/${proto}`;
  return `${shownIp(ip)}:${range}->${range}/${proto}`;
}

/**
 * `rr port C` lines ("80/tcp -> 0.0.0.0:8080"), or for `rr port C 80[/udp]`
 * the host addresses alone ("0.0.0.0:8080"); naturally sorted as Docker does.
 */
export function portLines(ports: PublishedPort[], container: string, query?: string): string[] {
  let out: string[];
  if (query !== undefined) {
    const [port, proto = "tcp"] = query.split("/", 2) as [string, string?];
    if (portNumber(port) === undefined) throw new UsageError(`invalid port (${port})`);
    const hits = ports.filter((p) => p.containerPort === Number(port) && p.proto === proto);
    if (!hits.length) throw new NotFoundError(`no public port '${query}' published for ${container}`);
    out = hits.map((p) => hostPort(p.hostIp, p.hostPort));
  } else {
    out = ports.map((p) => `${p.containerPort}/${p.proto} -> ${hostPort(p.hostIp, p.hostPort)}`);
  }
  return out.sort(naturalCompare);
}

/** Compares strings with digit runs as numbers ("80/tcp" before "443/tcp"). */
export function naturalCompare(a: string, b: string): number {
  const re = /(\d+)|(\D+)/g;
  const xs = a.match(re) ?? [], ys = b.match(re) ?? [];
  for (let i = 0; i < Math.min(xs.length, ys.length); i++) {
    const x = xs[i]!, y = ys[i]!;
    const nx = /^\d/.test(x), ny = /^\d/.test(y);
    const c = nx && ny ? Number(x) - Number(y) || x.length - y.length : cmp(x, y);
    if (c) return c;
  }
  return xs.length - ys.length;
}
