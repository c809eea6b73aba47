/**
 * Docker's `run`/`create` flags → a RunRequest. Options end at IMAGE, so
 * `rr run busybox ls -la` hands `-la` to ls.
 */
import { existsSync, readFileSync } from "node:fs";
import { isIP } from "node:net";
import { isAbsolute, resolve } from "node:path";
import { bool, list, parseArgs, str, type OptionSpec } from "./args.ts";
import { UsageError } from "../errors.ts";
import type { RunRequest, UserMount, Ulimit } from "../runtime/run-request.ts";
import { DEFAULT_NETWORK_MODE, parseNetworkMode } from "../runtime/network-mode.ts";
import { parsePublish } from "../network/ports.ts";
import { isIpv4 } from "../network/cidr.ts";

export const RUN_OPTIONS: OptionSpec[] = [
  { name: "interactive", short: "i" }, { name: "tty", short: "t" }, { name: "detach", short: "d" },
  { name: "env", short: "e", value: true, multiple: true }, { name: "env-file", value: true, multiple: true },
  { name: "workdir", short: "w", value: true }, { name: "user", short: "u", value: true },
  { name: "entrypoint", value: true }, { name: "volume", short: "v", value: true, multiple: true },
  { name: "mount", value: true, multiple: true }, { name: "tmpfs", value: true, multiple: true },
  { name: "read-only" }, { name: "hostname", short: "h", value: true },
  { name: "add-host", value: true, multiple: true }, { name: "dns", value: true, multiple: true },
  { name: "name", value: true }, { name: "rm" }, { name: "cap-add", value: true, multiple: true },
  { name: "cap-drop", value: true, multiple: true }, { name: "privileged" },
  { name: "security-opt", value: true, multiple: true }, { name: "init" },
  { name: "memory", short: "m", value: true }, { name: "cpus", value: true }, { name: "cpuset-cpus", value: true },
  { name: "pids-limit", value: true }, { name: "ulimit", value: true, multiple: true },
  { name: "network", value: true, aliases: ["net"], multiple: true }, { name: "label", short: "l", value: true, multiple: true },
  { name: "pull", value: true }, { name: "restart", value: true }, { name: "stop-signal", value: true },
  { name: "stop-timeout", value: true }, { name: "ip", value: true },
  { name: "network-alias", value: true, multiple: true, aliases: ["net-alias"] },
  { name: "publish", short: "p", value: true, multiple: true }, { name: "publish-all", short: "P" },
  { name: "expose", value: true, multiple: true }, { name: "dns-search", value: true, multiple: true },
  { name: "dns-option", value: true, multiple: true, aliases: ["dns-opt"] },
];

/** `--pull`: when `rr run` fetches the image from its registry (Docker's default: missing). */
export type PullPolicy = "missing" | "always" | "never";

export const RUN_USAGE = `Usage:  rr run [OPTIONS] IMAGE [COMMAND] [ARG...]

Create and run a new container from an image

Options:
      --add-host list          Add a custom host-to-IP mapping (host:ip)
      --cap-add list           Add Linux capabilities
      --cap-drop list          Drop Linux capabilities
      --cpus decimal           Number of CPUs
      --cpuset-cpus string     CPUs in which to allow execution (0-3, 0,1)
      --dns list               Set custom DNS servers
      --dns-option list        Set DNS options
      --dns-search list        Set custom DNS search domains
      --entrypoint string      Overwrite the default ENTRYPOINT of the image
  -e, --env list               Set environment variables
      --expose list            Expose a port or a range of ports
      --env-file list          Read in a file of environment variables
  -h, --hostname string        Container host name
      --init                   Run an init inside the container that forwards signals and reaps processes
      --ip string              IPv4 address (e.g., 172.30.100.104)
  -i, --interactive            Keep STDIN open
  -l, --label list             Set meta data on a container
  -m, --memory bytes           Memory limit
      --mount mount            Attach a filesystem mount (type=bind|tmpfs,source=,target=,readonly)
      --name string            Assign a name to the container
      --network network        Connect a container to a network: NAME, bridge, host, none,
                               container:NAME, slirp4netns[:allow_host_loopback=true] (default: a private
                               namespace with egress through slirp4netns when it is installed)
      --network-alias list     Add network-scoped alias for the container
      --pids-limit int         Tune container pids limit (-1 for unlimited)
      --privileged             Give extended privileges to this container
  -p, --publish list           Publish a container's port(s) to the host ([ip:][hostPort:]containerPort[/udp])
  -P, --publish-all            Publish all exposed ports to random ports
      --pull string            Pull image before running ("always", "missing", "never") (default "missing")
      --read-only              Mount the container's root filesystem as read only
      --restart string         Restart policy to apply when a container exits (no, on-failure[:max-retries], always, unless-stopped) (default "no")
      --rm                     Automatically remove the container when it exits
      --security-opt list      Security Options (no-new-privileges)
      --stop-signal string     Signal to stop the container
      --stop-timeout int       Timeout (in seconds) to stop a container
      --tmpfs list             Mount a tmpfs directory (/path[:options])
  -t, --tty                    Allocate a pseudo-TTY
      --ulimit ulimit          Ulimit options (nofile=1024:2048)
  -u, --user string            Username or UID (format: <name|uid>[:<group|gid>])
  -v, --volume list            Bind mount a volume (/host:/ctr[:ro])
  -w, --workdir string         Working directory inside the container`;

export function parseBytes(s: string, flag: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)\s*([bkmgt]?)b?$/i.exec(s.trim());
  if (!m) throw new UsageError(`invalid ${flag} value "${s}": use a number with an optional unit (b, k, m, g)`);
  const mult: Record<string, number> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
  return Math.floor(Number(m[1]) * mult[m[2]!.toLowerCase()]!);
}

function hostPath(p: string): string {
  return isAbsolute(p) ? p : resolve(p);
}

export function parseVolume(spec: string): UserMount {
  const parts = spec.split(":");
  if (parts.length < 2 || parts.length > 3 || !parts[0] || !parts[1]) {
    throw new UsageError(`invalid volume specification "${spec}": use /host/path:/container/path[:ro]`);
  }
  const [src, dst, opts = ""] = parts as [string, string, string?];
  if (!src.startsWith("/") && !src.startsWith(".")) {
    throw new UsageError(`named volume "${src}" is not supported yet`, { hint: "Bind-mount a host directory instead: -v /host/dir:" + dst });
  }
  if (!dst.startsWith("/")) throw new UsageError(`invalid volume specification "${spec}": the container path must be absolute`);
  const options = opts.split(",").filter(Boolean);
  for (const o of options) {
    if (!["ro", "rw", "z", "Z", "rbind", "bind"].includes(o)) throw new UsageError(`invalid volume option "${o}" in "${spec}"`);
  }
  const source = hostPath(src);
  if (!existsSync(source)) {
    throw new UsageError(`invalid mount source "${src}": no such file or directory`, { hint: "Create it first, or fix the path." });
  }
  return { type: "bind", source, destination: dst, readonly: options.includes("ro") };
}

export function parseMount(spec: string): UserMount {
  const kv = new Map<string, string>();
  for (const part of spec.split(",")) {
    const eq = part.indexOf("=");
    kv.set(eq < 0 ? part : part.slice(0, eq), eq < 0 ? "true" : part.slice(eq + 1));
  }
  const type = kv.get("type") ?? "volume";
  const target = kv.get("target") ?? kv.get("destination") ?? kv.get("dst");
  if (!target?.startsWith("/")) throw new UsageError(`invalid --mount "${spec}": target must be an absolute path`);
  const readonly = ["true", "1"].includes(kv.get("readonly") ?? kv.get("ro") ?? "false");
  if (type === "bind") {
    const src = kv.get("source") ?? kv.get("src");
    if (!src) throw new UsageError(`invalid --mount "${spec}": a bind mount needs source=`);
    const source = hostPath(src);
    if (!existsSync(source)) throw new UsageError(`invalid mount source "${src}": no such file or directory`);
    return { type: "bind", source, destination: target, readonly };
  }
  if (type === "tmpfs") {
    const options = ["nosuid", "nodev"];
    const size = kv.get("tmpfs-size");
    if (size) options.push(`size=${parseBytes(size, "tmpfs-size")}`);
    const mode = kv.get("tmpfs-mode");
    if (mode) options.push(`mode=${mode}`);
    if (readonly) options.push("ro");
    return { type: "tmpfs", destination: target, options };
  }
  throw new UsageError(`--mount type "${type}" is not supported`, { hint: "Use type=bind or type=tmpfs." });
}

export function parseTmpfs(spec: string): UserMount {
  const [dst, opts] = spec.split(":", 2) as [string, string?];
  if (!dst.startsWith("/")) throw new UsageError(`invalid --tmpfs "${spec}": the path must be absolute`);
  return { type: "tmpfs", destination: dst, options: ["nosuid", "nodev", "noexec", ...(opts ? opts.split(",") : [])] };
}

export function parseUlimit(spec: string): Ulimit {
  const m = /^([a-z]+)=(-?[0-9]+)(?::(-?[0-9]+))?$/.exec(spec);
  if (!m) throw new UsageError(`invalid ulimit "${spec}": use name=soft[:hard], e.g. nofile=1024:2048`);
  const soft = Number(m[2]);
  return { name: m[1]!, soft, hard: m[3] !== undefined ? Number(m[3]) : soft };
}

/** `-e K=V`, `-e K` (the host's value, if set) and env files, as Docker reads them. */
export function envFrom(specs: string[], files: string[], env: Record<string, string | undefined>): string[] {
  const out: string[] = [];
  const add = (e: string) => {
    if (e.includes("=")) out.push(e);
    else if (env[e] !== undefined) out.push(`${e}=${env[e]}`); // `-e KEY` copies the host's value
  };
  for (const f of files) {
    let text: string;
    try { text = readFileSync(f, "utf8"); } catch { throw new UsageError(`cannot read env file "${f}": no such file or directory`); }
    for (const line of text.split("\n")) {
      const t = line.trim();
      if (t && !t.startsWith("#")) add(t);
    }
  }
  specs.forEach(add);
  return out;
}

/** `--network A --network B`: Docker's rules — networks only (no host, none, container: or the default), each once. */
function checkSeveralNetworks(networks: string[]): void {
  if (networks.length < 2) return;
  if (networks.some((n) => parseNetworkMode(n).kind !== "network")) {
    throw new UsageError("conflicting options: cannot attach both user-defined and non-user-defined network-modes", {
      hint: "Give --network more than once only with network names.",
    });
  }
  const twice = networks.find((n, i) => networks.indexOf(n) !== i);
  if (twice) throw new UsageError(`network "${twice}" is specified multiple times`);
}

/** --network and the flags that only make sense with some modes, checked as Docker does. */
function checkNetworkOptions(o: ReturnType<typeof parseArgs>["options"]): { network: string; extraNetworks: string[] } {
  const networks = list(o, "network");
  const network = networks[0] ?? DEFAULT_NETWORK_MODE;
  const mode = parseNetworkMode(network);
  checkSeveralNetworks(networks);
  const ip = str(o, "ip");
  if (ip !== undefined && !isIpv4(ip)) throw new UsageError(`invalid IPv4 address: "${ip}"`);
  if ((ip !== undefined || list(o, "network-alias").length) && mode.kind !== "network") {
    throw new UsageError("user specified IP address and network aliases are supported only on user-defined networks", {
      hint: "Create one with `rr network create NAME` and use --network NAME.",
    });
  }
  list(o, "publish").forEach(parsePublish); // bad specs fail before anything is created
  const publishes = list(o, "publish").length > 0 || bool(o, "publish-all");
  if (publishes && (mode.kind === "container" || mode.kind === "none")) {
    throw new UsageError(`conflicting options: port publishing and the network mode "${network}"`, {
      hint: mode.kind === "none" ? "A container on --network none has no network to publish from: drop -p/-P or --network none."
        : "Publish the ports on the container whose network this one uses, or drop --network.",
    });
  }
  if (mode.kind === "container") refuseWithSharedNetwork(o, network);
  return { network, extraNetworks: networks.slice(1) };
}

/** A container on another's network takes that one's hostname, /etc/hosts and resolv.conf: Docker refuses options that would change them. */
function refuseWithSharedNetwork(o: ReturnType<typeof parseArgs>["options"], network: string): void {
  const conflicts: [boolean, string][] = [
    [str(o, "hostname") !== undefined, "hostname"],
    [list(o, "dns").length + list(o, "dns-search").length + list(o, "dns-option").length > 0, "dns"],
    [list(o, "add-host").length > 0, "custom host-to-IP mapping"],
    [list(o, "expose").length > 0, "port exposing"],
  ];
  const hit = conflicts.find(([given]) => given);
  if (hit) {
    throw new UsageError(`conflicting options: ${hit[1]} and the network mode "${network}"`, {
      hint: "A container on another container's network shares its name and resolver files: set them on that container.",
    });
  }
}

/** Docker's flag error: `invalid argument "V" for "--F" flag: why`. */
function badFlag(flag: string, value: string, why: string, hint?: string): UsageError {
  return new UsageError(`invalid argument "${value}" for "--${flag}" flag: ${why}`, { hint });
}

/** `--add-host NAME:IP` or `NAME=IP` (IP may be [IPv6] or host-gateway), stored as NAME:IP, as Docker's CLI sends it. */
function parseAddHost(spec: string): string {
  const eq = spec.indexOf("=");
  const sep = eq >= 0 ? eq : spec.indexOf(":");
  const name = sep > 0 ? spec.slice(0, sep) : "";
  let ip = sep > 0 ? spec.slice(sep + 1) : "";
  if (!name || name.includes(":")) throw badFlag("add-host", spec, `bad format for add-host: ${JSON.stringify(spec)}`, "Use NAME:IP, e.g. --add-host db:192.0.2.10.");
  if (ip === "host-gateway") return `${name}:${ip}`;
  if (ip.length > 2 && ip.startsWith("[") && ip.endsWith("]")) ip = ip.slice(1, -1);
  if (!isIP(ip)) throw badFlag("add-host", spec, `invalid IP address in add-host: ${JSON.stringify(ip)}`, "Give an IPv4 or IPv6 address, or host-gateway.");
  return `${name}:${ip}`;
}

function parseDns(ip: string): string {
  if (!isIP(ip.trim())) throw badFlag("dns", ip, `${ip} is not an ip address`, "Give the resolver's IPv4 or IPv6 address.");
  return ip.trim();
}

export function parseRunArgs(
  argv: string[], env: Record<string, string | undefined> = process.env, name: "run" | "create" = "run",
): RunRequest & { pull: PullPolicy } {
  const { options: o, positionals } = parseArgs(argv, RUN_OPTIONS, { stopAtPositional: true, command: name });
  const [image, ...command] = positionals;
  if (!image) throw new UsageError(`"rr ${name}" requires at least 1 argument.`, { hint: `See 'rr ${name} --help'.` });
  const { network, extraNetworks } = checkNetworkOptions(o);
  const securityOpts = list(o, "security-opt");
  for (const s of securityOpts) {
    if (!/^no-new-privileges(:true|=true)?$/.test(s) && !/^no-new-privileges[:=]false$/.test(s)) {
      throw new UsageError(`unsupported --security-opt "${s}"`, { hint: "rr supports no-new-privileges." });
    }
  }
  const pull = str(o, "pull") ?? "missing";
  if (pull !== "missing" && pull !== "always" && pull !== "never") {
    throw new UsageError(`invalid pull option: "${pull}": must be one of "always", "missing" or "never"`);
  }
  const entry = str(o, "entrypoint");
  const cpus = str(o, "cpus");
  const pids = str(o, "pids-limit");
  if (cpus !== undefined && !(Number(cpus) > 0)) throw new UsageError(`invalid --cpus "${cpus}": use a positive number`);
  if (pids !== undefined && !/^-?[0-9]+$/.test(pids)) throw new UsageError(`invalid --pids-limit "${pids}"`);
  const restart = str(o, "restart") ?? "no";
  if (!/^(no|always|unless-stopped|on-failure(:[0-9]+)?)$/.test(restart)) {
    throw new UsageError(`invalid restart policy "${restart}"`, { hint: "Use no, on-failure[:max-retries], always or unless-stopped." });
  }
  if (restart !== "no" && bool(o, "rm")) throw new UsageError("Conflicting options: --restart and --rm");
  const stopTimeout = str(o, "stop-timeout");
  if (stopTimeout !== undefined && !/^-?[0-9]+$/.test(stopTimeout)) throw new UsageError(`invalid --stop-timeout "${stopTimeout}": use whole seconds`);
  const labels: Record<string, string> = {};
  for (const l of list(o, "label")) {
    const eq = l.indexOf("=");
    labels[eq < 0 ? l : l.slice(0, eq)] = eq < 0 ? "" : l.slice(eq + 1);
  }
  return {
    image,
    command,
    entrypoint: entry === undefined ? undefined : entry === "" ? [] : [entry],
    env: envFrom(list(o, "env"), list(o, "env-file"), env),
    workdir: str(o, "workdir"),
    user: str(o, "user"),
    hostname: str(o, "hostname"),
    addHosts: list(o, "add-host").map(parseAddHost),
    dns: list(o, "dns").map(parseDns),
    name: str(o, "name"),
    remove: bool(o, "rm"),
    interactive: bool(o, "interactive"),
    tty: bool(o, "tty"),
    detach: bool(o, "detach"),
    readOnly: bool(o, "read-only"),
    mounts: [...list(o, "volume").map(parseVolume), ...list(o, "mount").map(parseMount), ...list(o, "tmpfs").map(parseTmpfs)],
    capAdd: list(o, "cap-add"),
    capDrop: list(o, "cap-drop"),
    privileged: bool(o, "privileged"),
    noNewPrivileges: securityOpts.some((s) => !s.endsWith("false")),
    init: bool(o, "init"),
    network,
    ...(extraNetworks.length ? { extraNetworks } : {}),
    ip: str(o, "ip"),
    networkAliases: list(o, "network-alias"),
    publish: list(o, "publish"),
    publishAll: bool(o, "publish-all"),
    expose: list(o, "expose"),
    dnsSearch: list(o, "dns-search"),
    dnsOptions: list(o, "dns-option"),
    resources: {
      memoryBytes: str(o, "memory") !== undefined ? parseBytes(str(o, "memory")!, "--memory") : undefined,
      cpus: cpus !== undefined ? Number(cpus) : undefined,
      cpusetCpus: str(o, "cpuset-cpus"),
      pidsLimit: pids !== undefined ? Number(pids) : undefined,
    },
    ulimits: list(o, "ulimit").map(parseUlimit),
    labels,
    restart,
    stopSignal: str(o, "stop-signal"),
    stopTimeout: stopTimeout === undefined ? undefined : Number(stopTimeout),
    pull,
  };
}
