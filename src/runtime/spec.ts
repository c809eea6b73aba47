/**
 * Builds the container's OCI runtime spec (config.json, runtime-spec 1.x):
 * the contract between what the user asked and how it runs (DESIGN
 * invariant 3). Only data here; plan-builder.ts turns a spec into a plan.
 */
import type { Identity } from "./identity.ts";
import type { RunRequest } from "./run-request.ts";
import { resolveCapabilities } from "./capabilities.ts";
import type { ResolvedUser } from "./user-lookup.ts";

export interface ImageRuntimeConfig {
  Env?: string[];
  Cmd?: string[];
  Entrypoint?: string[];
  WorkingDir?: string;
  User?: string;
}

export interface SpecMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

export interface RuntimeSpec {
  ociVersion: string;
  process: {
    terminal: boolean;
    user: { uid: number; gid: number; additionalGids: number[] };
    args: string[];
    env: string[];
    cwd: string;
    capabilities: { bounding: string[]; effective: string[]; permitted: string[]; inheritable: string[]; ambient: string[] };
    rlimits: { type: string; soft: number; hard: number }[];
    noNewPrivileges: boolean;
  };
  root: { path: string; readonly: boolean };
  hostname: string;
  mounts: SpecMount[];
  annotations: Record<string, string>;
  linux: {
    namespaces: { type: string; path?: string }[];
    uidMappings: { containerID: number; hostID: number; size: number }[];
    gidMappings: { containerID: number; hostID: number; size: number }[];
    maskedPaths: string[];
    readonlyPaths: string[];
    resources: {
      memory?: { limit: number };
      cpu?: { quota: number; period: number; cpus?: string };
      pids?: { limit: number };
    };
    cgroupsPath: string;
  };
}

export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export const MASKED_PATHS = [
  "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
  "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
];
export const READONLY_PATHS = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

/** The final argv: Docker's ENTRYPOINT + CMD rules. */
export function commandLine(req: RunRequest, image: ImageRuntimeConfig): string[] {
  const entrypoint = req.entrypoint ?? image.Entrypoint ?? [];
  // a new entrypoint drops the image's Cmd, as Docker does
  const cmd = req.command.length ? req.command : req.entrypoint !== undefined ? [] : image.Cmd ?? [];
  return [...entrypoint, ...cmd];
}

/** KEY=VALUE list with later entries overriding earlier ones, order kept. */
export function mergeEnv(...lists: string[][]): string[] {
  const map = new Map<string, string>();
  for (const list of lists) {
    for (const e of list) {
      const eq = e.indexOf("=");
      map.set(eq < 0 ? e : e.slice(0, eq), e);
    }
  }
  return [...map.values()];
}

export interface SpecContext {
  id: string;
  identity: Identity;
  rootfs: string;
  user: ResolvedUser;
  hostname: string;
  /** Files rr generated for this container. */
  files: { hosts: string; hostname: string; resolvConf: string };
  cgroupsPath: string;
  /** Namespaces joined instead of made (network holder, --network container:X), and whether a netns is made. */
  network: { join?: { user?: string; net?: string }; newNetns: boolean };
}

export function buildSpec(req: RunRequest, image: ImageRuntimeConfig, ctx: SpecContext): RuntimeSpec {
  const caps = resolveCapabilities({ add: req.capAdd, drop: req.capDrop, privileged: req.privileged });
  const env = mergeEnv(
    [`PATH=${DEFAULT_PATH}`],
    image.Env ?? [],
    [`HOSTNAME=${ctx.hostname}`],
    req.tty ? ["TERM=xterm"] : [],
    req.env,
  );
  if (!env.some((e) => e.startsWith("HOME="))) env.push(`HOME=${ctx.user.home}`);
  const join = ctx.network.join;
  const namespaces: { type: string; path?: string }[] = [{ type: "pid" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }, { type: "cgroup" }];
  if (ctx.network.newNetns) namespaces.push({ type: "network" });
  else if (join?.net) namespaces.push({ type: "network", path: join.net });
  if (ctx.identity.mode !== "root") namespaces.push(join?.user ? { type: "user", path: join.user } : { type: "user" });
  const mapping = (maps: Identity["uidMap"]) => maps.map((m) => ({ containerID: m.containerId, hostID: m.hostId, size: m.size }));
  const resources: RuntimeSpec["linux"]["resources"] = {};
  const r = req.resources;
  if (r.memoryBytes !== undefined) resources.memory = { limit: r.memoryBytes };
  if (r.cpus !== undefined || r.cpusetCpus !== undefined) {
    resources.cpu = { quota: r.cpus !== undefined ? Math.round(r.cpus * 100000) : -1, period: 100000, cpus: r.cpusetCpus };
  }
  if (r.pidsLimit !== undefined) resources.pids = { limit: r.pidsLimit };
  return {
    ociVersion: "1.1.0",
    process: {
      terminal: req.tty,
      user: { uid: ctx.user.uid, gid: ctx.user.gid, additionalGids: ctx.user.additionalGids },
      args: commandLine(req, image),
      env,
      cwd: req.workdir || image.WorkingDir || "/",
      capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: [] },
      rlimits: req.ulimits.map((u) => ({ type: `RLIMIT_${u.name.toUpperCase()}`, soft: u.soft, hard: u.hard })),
      noNewPrivileges: req.noNewPrivileges,
    },
    root: { path: ctx.rootfs, readonly: req.readOnly },
    hostname: ctx.hostname,
    mounts: [
      ...baseMounts(req, ctx),
      ...req.mounts.map((m): SpecMount =>
        m.type === "bind"
          ? { destination: m.destination, type: "bind", source: m.source, options: ["rbind", m.readonly ? "ro" : "rw"] }
          : { destination: m.destination, type: "tmpfs", source: "tmpfs", options: m.options }),
    ],
    annotations: { "io.rr.init": String(req.init), "io.rr.network": req.network },
    linux: {
      namespaces,
      uidMappings: join?.user ? [] : mapping(ctx.identity.uidMap), // a joined namespace has its maps
      gidMappings: join?.user ? [] : mapping(ctx.identity.gidMap),
      maskedPaths: req.privileged ? [] : MASKED_PATHS,
      readonlyPaths: req.privileged ? [] : READONLY_PATHS,
      resources,
      cgroupsPath: ctx.cgroupsPath,
    },
  };
}

function baseMounts(req: RunRequest, ctx: SpecContext): SpecMount[] {
  const gid5 = ctx.identity.mode === "root" || ctx.identity.gidMap.some((m) => m.containerId <= 5 && 5 < m.containerId + m.size);
  return [
    { destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"] },
    { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
    {
      destination: "/dev/pts", type: "devpts", source: "devpts",
      options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", ...(gid5 ? ["gid=5"] : [])],
    },
    { destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
    { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
    { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", req.privileged ? "rw" : "ro"] },
    { destination: "/etc/hosts", type: "bind", source: ctx.files.hosts, options: ["rbind", "rw"] },
    { destination: "/etc/hostname", type: "bind", source: ctx.files.hostname, options: ["rbind", "rw"] },
    { destination: "/etc/resolv.conf", type: "bind", source: ctx.files.resolvConf, options: ["rbind", "rw"] },
  ];
}
