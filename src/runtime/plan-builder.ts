/**
 * Turns a runtime spec (config.json) into the setup plan the C child runs.
 * Every path is decided here; targets inside the container are resolved by
 * C beneath the new root (openat2 RESOLVE_IN_ROOT), never on the host.
 */
import { mkdirSync, statSync, symlinkSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { Plan, PlanFlag, PlanOp, Rlimit } from "./plan-encoder.ts";
import type { RuntimeSpec } from "./spec.ts";
import { capMask, lastCap, ownBoundingSet } from "./capabilities.ts";
import { MS, parseMountOptions } from "./mount-options.ts";
import { CLONE } from "../sys/core.ts";
import type { Identity } from "./identity.ts";
import { RrError } from "../errors.ts";

export interface RootfsLayout {
  driver: "overlay" | "fuse-overlayfs" | "copy";
  /** Layer directories, top first. */
  lowers: string[];
  upper: string;
  work: string;
}

export interface PlanContext {
  identity: Identity;
  rootfs: RootfsLayout;
  tty?: { rows: number; cols: number };
  stdinAttached: boolean;
  init: boolean;
  /** Foreground runs die with rr; detached ones belong to their monitor. */
  dieWithParent: boolean;
}

const RLIMITS: Record<string, number> = {
  RLIMIT_CPU: 0, RLIMIT_FSIZE: 1, RLIMIT_DATA: 2, RLIMIT_STACK: 3, RLIMIT_CORE: 4, RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6, RLIMIT_NOFILE: 7, RLIMIT_MEMLOCK: 8, RLIMIT_AS: 9, RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11, RLIMIT_MSGQUEUE: 12, RLIMIT_NICE: 13, RLIMIT_RTPRIO: 14, RLIMIT_RTTIME: 15,
};

const DEVICES = ["null", "zero", "full", "random", "urandom", "tty"];

const rel = (p: string) => p.replace(/^\/+/, "") || ".";

export function cloneFlagsFor(spec: RuntimeSpec): number {
  const byType: Record<string, number> = {
    pid: CLONE.NEWPID, ipc: CLONE.NEWIPC, uts: CLONE.NEWUTS, mount: CLONE.NEWNS,
    network: CLONE.NEWNET, user: CLONE.NEWUSER,
  };
  // the cgroup namespace is unshared by the child after it joined its cgroup
  // a namespace with a path is joined, not made
  return spec.linux.namespaces.reduce((f, ns) => f | (ns.path ? 0 : byType[ns.type] ?? 0), 0);
}

/** $ROOT/l/<12 hex> → ../layers/<diffid>: a short name for a layer directory ($ROOT/layers/<diffid>). */
function shortLayerLink(layer: string): string {
  const name = basename(layer);
  const dir = join(dirname(dirname(layer)), "l");
  const link = join(dir, name.slice(0, 12));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    symlinkSync(join("..", basename(dirname(layer)), name), link);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  return link;
}

function rootfsOps(spec: RuntimeSpec, layout: RootfsLayout): PlanOp[] {
  const root = spec.root.path;
  if (layout.driver === "fuse-overlayfs") return []; // fuse-overlay.ts mounted it before the child went on
  if (layout.driver === "copy") {
    // a plain directory must become a mount point for pivot_root
    return [{ type: "mount", source: root, target: root, mountFlags: MS.BIND | MS.REC, what: `bind the root "${root}" onto itself` }];
  }
  const overlayData = (lowers: string[]) => `lowerdir=${lowers.join(":")},upperdir=${layout.upper},workdir=${layout.work},userxattr`;
  let data = overlayData(layout.lowers);
  // the mount data is one page: many layers go through short links (as Docker's overlay2 l/ directory)
  if (data.length > 4000) data = overlayData(layout.lowers.map(shortLayerLink));
  if (data.length > 4000) {
    throw new RrError(`the image has too many layers for one overlay mount (${layout.lowers.length})`);
  }
  return [{ type: "mount", source: "overlay", target: root, fstype: "overlay", data, what: `mount the overlay root on "${root}"` }];
}

function mountOps(m: RuntimeSpec["mounts"][number]): PlanOp[] {
  const target = rel(m.destination);
  const { flags, data } = parseMountOptions(m.options);
  const ro = m.options.includes("ro");
  if (m.type === "bind") {
    let isDir = true;
    try {
      isDir = statSync(m.source).isDirectory();
    } catch (err) {
      throw new RrError(`invalid mount source "${m.source}": no such file or directory`, {
        hint: "Bind-mount sources must exist on the host; create it first or fix the path.",
      });
    }
    return [
      { type: isDir ? "mkdir" : "mkfile", target, inRoot: true, mode: isDir ? 0o755 : 0o644, what: `create the mount point "${m.destination}"` },
      { type: "mount", source: m.source, target, inRoot: true, mountFlags: (flags & ~MS.RDONLY) | MS.BIND, roAfter: ro, what: `bind "${m.source}" on "${m.destination}"` },
    ];
  }
  const fallback = m.type === "proc" ? "/proc" : m.type === "sysfs" ? "/sys" : undefined;
  return [
    { type: "mkdir", target, inRoot: true, mode: 0o755, what: `create the mount point "${m.destination}"` },
    {
      type: "mount", source: m.source, target, fstype: m.type, inRoot: true, mountFlags: flags,
      data: data.join(",") || undefined, fallback, what: `mount ${m.type} on "${m.destination}"`,
    },
  ];
}

function devOps(): PlanOp[] {
  const ops: PlanOp[] = [];
  for (const d of DEVICES) {
    ops.push({ type: "mkfile", target: `dev/${d}`, inRoot: true, mode: 0o644, what: `create "/dev/${d}"` });
    ops.push({ type: "mount", source: `/dev/${d}`, target: `dev/${d}`, inRoot: true, mountFlags: MS.BIND, what: `bind the device "/dev/${d}"` });
  }
  const links: [string, string][] = [
    ["/proc/self/fd", "dev/fd"], ["/proc/self/fd/0", "dev/stdin"], ["/proc/self/fd/1", "dev/stdout"],
    ["/proc/self/fd/2", "dev/stderr"], ["pts/ptmx", "dev/ptmx"], ["/proc/kcore", "dev/core"],
  ];
  for (const [text, at] of links) ops.push({ type: "symlink", source: text, target: at, inRoot: true, what: `link "/${at}"` });
  return ops;
}

export function rlimits(spec: RuntimeSpec): Rlimit[] {
  return (spec.process.rlimits ?? []).map((r) => {
    const resource = RLIMITS[r.type];
    if (resource === undefined) throw new RrError(`unknown ulimit: "${r.type.replace("RLIMIT_", "").toLowerCase()}"`);
    const v = (n: number) => (n < 0 ? 0xffffffffffffffffn : BigInt(n));
    return { resource, soft: v(r.soft), hard: v(r.hard) };
  });
}

export function buildPlan(spec: RuntimeSpec, ctx: PlanContext): Plan {
  const ops: PlanOp[] = [...rootfsOps(spec, ctx.rootfs)];
  ops.push({ type: "open-root", source: spec.root.path, what: `open the root "${spec.root.path}"` });
  for (const m of spec.mounts) {
    ops.push(...mountOps(m));
    if (m.destination === "/dev") ops.push(...devOps());
  }
  for (const p of spec.linux.maskedPaths) ops.push({ type: "mask", target: rel(p), inRoot: true, what: `mask "${p}"` });
  for (const p of spec.linux.readonlyPaths) {
    ops.push({ type: "remount-ro", target: rel(p), inRoot: true, optional: true, what: `make "${p}" read-only` });
  }
  const cwd = spec.process.cwd || "/";
  ops.push({ type: "mkdir", target: rel(cwd), inRoot: true, mode: 0o755, what: `create the working directory "${cwd}"` });
  if (spec.root.readonly) {
    ops.push({ type: "remount-ro", target: ".", inRoot: true, noBind: true, what: "make the root filesystem read-only" });
  }

  const flags: PlanFlag[] = ["pivot", "setIds", "setCaps", "setHostname", "newCgroupNs"];
  const userns = spec.linux.namespaces.some((n) => n.type === "user");
  // a single-id map cannot set groups (setgroups is denied); say nothing, keep the one group
  const canSetGroups = !userns || ctx.identity.mode === "rootless";
  if (canSetGroups) flags.push("setGroups");
  if (spec.process.noNewPrivileges) flags.push("noNewPrivs");
  if (!ctx.stdinAttached) flags.push("stdinNull");
  if (spec.process.terminal) flags.push("tty");
  if (ctx.init) flags.push("init");
  if (spec.linux.namespaces.some((n) => n.type === "network" && !n.path)) flags.push("loopbackUp");
  if (ctx.dieWithParent) flags.push("pdeathsig");

  const allowed = ownBoundingSet();
  const mask = (names: string[]) => capMask(names) & allowed;
  const caps = mask(spec.process.capabilities.bounding);
  const pathEnv = spec.process.env.find((e) => e.startsWith("PATH="))?.slice(5);
  return {
    flags,
    ops,
    argv: spec.process.args,
    env: spec.process.env,
    execPath: spec.process.args[0]!,
    searchPath: pathEnv,
    cwd,
    hostname: spec.hostname,
    uid: spec.process.user.uid,
    gid: spec.process.user.gid,
    groups: canSetGroups ? spec.process.user.additionalGids : [],
    rlimits: rlimits(spec),
    capLastCap: lastCap(),
    caps: { bounding: caps, effective: mask(spec.process.capabilities.effective), permitted: mask(spec.process.capabilities.permitted), inheritable: 0n, ambient: 0n },
    tty: ctx.tty,
  };
}
