/**
 * `rr inspect` of a container: Docker's ContainerJSON shape (keys in its
 * order), filled from the record, the stored request and, once the
 * container has started, its runtime spec (config.json).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { RunRequest, UserMount } from "../runtime/run-request.ts";
import { mergeEnv } from "../runtime/spec.ts";
import { CONTAINER_FILES, containerDir, type ContainerRecord } from "../store/container-store.ts";
import { containerLabels, containerNetworkNames, isActive } from "./container-row.ts";
import { exposedKeys, livePorts, unpublishedExposed } from "./container-ports.ts";
import { attachedNetworks } from "../runtime/endpoint-wiring.ts";
import { networkModeName } from "../runtime/network-mode.ts";
import { containerHostname } from "../runtime/container-hosts.ts";
import { parsePublish } from "../network/ports.ts";
import { prefixLength } from "../network/cidr.ts";
import { endpointId, type Attachment } from "../network/network-store.ts";

const ZERO_TIME = "0001-01-01T00:00:00Z";

interface Spec {
  hostname?: string;
  linux?: { maskedPaths?: string[]; readonlyPaths?: string[] };
}

interface ImageConfig {
  Env?: string[];
  Cmd?: string[];
  Entrypoint?: string[];
  WorkingDir?: string;
  User?: string;
  Volumes?: Record<string, object>;
  OnBuild?: string[];
}

export function containerJson(root: string, rec: ContainerRecord, size?: { rw: number; rootFs: number }): Record<string, unknown> {
  const dir = containerDir(root, rec.id);
  const req = (rec.request ?? {}) as Partial<RunRequest>;
  const image = (rec.imageConfig ?? {}) as ImageConfig;
  const spec = readSpec(join(dir, CONTAINER_FILES.spec));
  const [path = "", ...args] = rec.command;
  const s = rec.state;
  const live = isActive(rec);
  const file = (name: string) => (existsSync(join(dir, name)) ? join(dir, name) : "");
  const mounts = req.mounts ?? [];
  return {
    Id: rec.id,
    Created: rec.created,
    Path: path,
    Args: args,
    State: {
      Status: s.status,
      Running: live,
      Paused: s.status === "paused",
      Restarting: s.status === "restarting",
      OOMKilled: false,
      Dead: false,
      Pid: live ? s.pid ?? 0 : 0,
      ExitCode: s.exitCode ?? 0,
      Error: s.error ?? "",
      StartedAt: s.startedAt ?? ZERO_TIME,
      FinishedAt: live ? ZERO_TIME : s.finishedAt ?? ZERO_TIME,
    },
    Image: rec.imageId.startsWith("sha256:") ? rec.imageId : `sha256:${rec.imageId}`,
    ResolvConfPath: file("resolv.conf"),
    HostnamePath: file("hostname"),
    HostsPath: file("hosts"),
    LogPath: join(dir, CONTAINER_FILES.log),
    Name: `/${rec.name}`,
    RestartCount: rec.restartCount ?? 0,
    Driver: rec.driver ?? "overlay",
    Platform: "linux",
    MountLabel: "",
    ProcessLabel: "",
    AppArmorProfile: "",
    ExecIDs: null,
    HostConfig: hostConfig(rec, req, spec),
    GraphDriver: graphDriver(dir, rec),
    ...(size ? { SizeRw: size.rw, SizeRootFs: size.rootFs } : {}),
    Mounts: mounts.map(mountJson),
    Config: {
      Hostname: spec?.hostname ?? rec.hostname ?? containerHostname(rec, req as RunRequest),
      Domainname: "",
      User: req.user ?? image.User ?? "",
      AttachStdin: !req.detach && !!req.interactive,
      AttachStdout: !req.detach,
      AttachStderr: !req.detach,
      Tty: !!req.tty,
      OpenStdin: !!req.interactive,
      StdinOnce: !req.detach && !!req.interactive,
      Env: mergeEnv(image.Env ?? [], req.env ?? []),
      Cmd: configCmd(req, image),
      Image: rec.image,
      ...exposedConfig(rec),
      Volumes: image.Volumes ?? null,
      WorkingDir: req.workdir || image.WorkingDir || "",
      Entrypoint: req.entrypoint !== undefined ? (req.entrypoint.length ? req.entrypoint : null) : image.Entrypoint ?? null,
      OnBuild: image.OnBuild ?? null,
      Labels: containerLabels(rec),
      ...(rec.stopSignal ? { StopSignal: rec.stopSignal } : {}),
      ...(rec.stopTimeout !== undefined ? { StopTimeout: rec.stopTimeout } : {}),
    },
    NetworkSettings: networkSettings(root, rec, req),
  };
}

function readSpec(path: string): Spec | undefined {
  try { return JSON.parse(readFileSync(path, "utf8")) as Spec; } catch { return undefined; } // not started yet
}

/** Docker's Config.Cmd: the command given, else the image's, which a new entrypoint drops. */
function configCmd(req: Partial<RunRequest>, image: ImageConfig): string[] | null {
  if (req.command?.length) return req.command;
  if (req.entrypoint !== undefined) return null;
  return image.Cmd ?? null;
}

function hostConfig(rec: ContainerRecord, req: Partial<RunRequest>, spec: Spec | undefined): Record<string, unknown> {
  const mounts = req.mounts ?? [];
  const binds = mounts.flatMap((m) => (m.type === "bind" ? [`${m.source}:${m.destination}${m.readonly ? ":ro" : ""}`] : []));
  const tmpfs = Object.fromEntries(mounts.flatMap((m) => (m.type === "tmpfs" ? [[m.destination, m.options.join(",")]] : [])));
  const r = req.resources ?? {};
  const policy = rec.restartPolicy ?? { name: "no", maximumRetryCount: 0 };
  return {
    Binds: binds.length ? binds : null,
    ContainerIDFile: "",
    LogConfig: { Type: "k8s-file", Config: {} },
    NetworkMode: networkModeName(req.network),
    PortBindings: portBindings(req),
    RestartPolicy: { Name: policy.name, MaximumRetryCount: policy.maximumRetryCount },
    AutoRemove: rec.autoRemove,
    VolumeDriver: "",
    VolumesFrom: null,
    ConsoleSize: [0, 0],
    CapAdd: req.capAdd?.length ? req.capAdd : null,
    CapDrop: req.capDrop?.length ? req.capDrop : null,
    CgroupnsMode: "private",
    Dns: req.dns ?? [],
    DnsOptions: [],
    DnsSearch: [],
    ExtraHosts: req.addHosts?.length ? req.addHosts : null,
    GroupAdd: null,
    IpcMode: "private",
    Cgroup: "",
    Links: null,
    OomScoreAdj: 0,
    PidMode: "",
    Privileged: !!req.privileged,
    PublishAllPorts: false,
    ReadonlyRootfs: !!req.readOnly,
    SecurityOpt: req.noNewPrivileges ? ["no-new-privileges"] : null,
    ...(Object.keys(tmpfs).length ? { Tmpfs: tmpfs } : {}),
    UTSMode: "",
    UsernsMode: "",
    ShmSize: 67108864,
    Runtime: "rr",
    Isolation: "",
    CpuShares: 0,
    Memory: r.memoryBytes ?? 0,
    NanoCpus: r.cpus !== undefined ? Math.round(r.cpus * 1e9) : 0,
    CgroupParent: "",
    CpusetCpus: r.cpusetCpus ?? "",
    CpusetMems: "",
    Devices: [],
    MemoryReservation: 0,
    MemorySwap: 0,
    PidsLimit: r.pidsLimit ?? null,
    Ulimits: (req.ulimits ?? []).map((u) => ({ Name: u.name, Hard: u.hard, Soft: u.soft })),
    MaskedPaths: spec?.linux?.maskedPaths ?? null,
    ReadonlyPaths: spec?.linux?.readonlyPaths ?? null,
    Init: !!req.init,
  };
}

function graphDriver(dir: string, rec: ContainerRecord): Record<string, unknown> {
  const driver = rec.driver ?? "overlay";
  const merged = join(dir, "rootfs");
  const data = driver === "copy"
    ? { MergedDir: merged }
    : { LowerDir: (rec.lowers ?? []).join(":"), MergedDir: merged, UpperDir: join(dir, "upper"), WorkDir: join(dir, "work") };
  return { Data: data, Name: driver };
}

function mountJson(m: UserMount): Record<string, unknown> {
  if (m.type === "bind") {
    return { Type: "bind", Source: m.source, Destination: m.destination, Mode: m.readonly ? "ro" : "", RW: !m.readonly, Propagation: "rprivate" };
  }
  return { Type: "tmpfs", Source: "", Destination: m.destination, Mode: "", RW: !m.options.includes("ro"), Propagation: "" };
}

/** Config.ExposedPorts: the image's EXPOSE and --expose (absent when none, as Docker). */
function exposedConfig(rec: ContainerRecord): { ExposedPorts?: Record<string, object> } {
  const keys = exposedKeys(rec);
  return keys.length ? { ExposedPorts: Object.fromEntries(keys.map((k) => [k, {}])) } : {};
}

/** Docker's PortBindings: what -p asked for, "" for any host address or port. */
function portBindings(req: Partial<RunRequest>): Record<string, { HostIp: string; HostPort: string }[]> {
  const out: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of (req.publish ?? []).flatMap(parsePublish)) {
    (out[`${p.containerPort}/${p.proto}`] ??= []).push({ HostIp: p.hostIp, HostPort: p.hostPort ? String(p.hostPort) : "" });
  }
  return out;
}

/** Addresses on rr networks (else the mode's name with an empty entry), and the ports bound while it runs. */
function networkSettings(root: string, rec: ContainerRecord, req: Partial<RunRequest>): Record<string, unknown> {
  const Ports: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
  for (const e of unpublishedExposed(rec)) Ports[`${e.port}/${e.proto}`] = null;
  for (const p of livePorts(rec)) (Ports[`${p.containerPort}/${p.proto}`] ??= [])!.push({ HostIp: p.hostIp || "0.0.0.0", HostPort: String(p.hostPort) });
  const attached = attachedNetworks(root, rec);
  const empty = { IPAMConfig: null, Links: null, Aliases: null, MacAddress: "", DriverOpts: null, NetworkID: "", EndpointID: "", Gateway: "", IPAddress: "", IPPrefixLen: 0, IPv6Gateway: "", GlobalIPv6Address: "", GlobalIPv6PrefixLen: 0, DNSNames: null };
  const entry = ({ network: n, endpoint: e }: Attachment) => ({
    ...empty, IPAMConfig: e.ip === req.ip && n.name === req.network ? { IPv4Address: e.ip } : null,
    Aliases: e.aliases.length ? e.aliases : null, MacAddress: e.mac, NetworkID: n.id,
    EndpointID: endpointId(n.id, rec.id),
    Gateway: n.internal ? "" : n.gateway, IPAddress: e.ip, IPPrefixLen: prefixLength(n.subnet),
    DNSNames: [rec.name, rec.id.slice(0, 12), ...e.aliases],
  });
  // the networks ps's Networks column names: those with an address, and a mode that is not one (empty)
  const Networks = Object.fromEntries(containerNetworkNames(rec, attached).map((name) => {
    const on = attached.find((a) => a.network.name === name);
    return [name, on ? entry(on) : empty];
  }));
  const first = attached[0];
  return {
    Bridge: "", SandboxID: "", SandboxKey: isActive(rec) && rec.state.pid ? `/proc/${rec.state.pid}/ns/net` : "", Ports,
    Gateway: first && !first.network.internal ? first.network.gateway : "", IPAddress: first?.endpoint.ip ?? "",
    IPPrefixLen: first ? prefixLength(first.network.subnet) : 0, MacAddress: first?.endpoint.mac ?? "",
    Networks,
  };
}
