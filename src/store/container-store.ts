/**
 * Container records: $ROOT/containers/<id>/container.json beside the bundle
 * (config.json) and the container's upper/work dirs. Names are reserved
 * with atomic symlinks in containers/names/; every write is atomic.
 * Status is checked against the kernel: a dead pid is never shown Running.
 */
import { mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { writeJsonAtomic } from "./atomic.ts";
import { storeLayout } from "./paths.ts";
import { ConflictError, NotFoundError, RrError, UsageError } from "../errors.ts";
import { generateName, VALID_NAME } from "./container-names.ts";
import { processAlive } from "./process-alive.ts";
import { withLock } from "./lock.ts";

export type ContainerStatus = "created" | "running" | "paused" | "restarting" | "exited";

export type RestartPolicyName = "no" | "on-failure" | "always" | "unless-stopped";

export interface RestartPolicy {
  name: RestartPolicyName;
  /** on-failure:N; 0 = no limit. */
  maximumRetryCount: number;
}

export interface ContainerState {
  status: ContainerStatus;
  /** The container's first process (its PID 1), seen from the host. */
  pid?: number;
  /** The detached container's monitor (ffi/monitor.c), its parent. */
  monitorPid?: number;
  /** /proc/<pid>/stat start time, so a reused pid is not taken for ours. */
  pidStart?: string;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  error?: string;
}

export interface ContainerRecord {
  id: string;
  name: string;
  /** The image as the user named it. */
  image: string;
  imageId: string;
  created: string;
  command: string[];
  autoRemove: boolean;
  labels: Record<string, string>;
  state: ContainerState;
  /** What `create`/`run` was asked (the runtime's RunRequest as JSON): `start` rebuilds the container from it. */
  request?: Record<string, unknown>;
  /** The image's config (Env, Cmd, Entrypoint, WorkingDir, User, StopSignal) when the container was created. */
  imageConfig?: Record<string, unknown>;
  /** overlay | fuse-overlayfs | copy: where the container's files live (upper/, or rootfs/ for copy). */
  driver?: string;
  /** The image's unpacked layer directories, top first (overlay lowerdirs). */
  lowers?: string[];
  restartPolicy?: RestartPolicy;
  /** Restarts done by the monitor since the last user start. */
  restartCount?: number;
  /** The signal `stop` sends first (the image's STOPSIGNAL, or --stop-signal). */
  stopSignal?: string;
  /** Seconds `stop` waits before SIGKILL (--stop-timeout). */
  stopTimeout?: number;
  /** cgroup directories made for the container (one per v1 hierarchy, or one v2). */
  cgroupPaths?: string[];
  hostname?: string;
  /** Host ports published for the current run (-p, -P): what `rr port` and `ps` show. */
  ports?: PublishedPortRecord[];
}

export interface PublishedPortRecord {
  hostIp: string;
  hostPort: number;
  containerPort: number;
  proto: "tcp" | "udp";
}

/** Files in a container's directory, shared with the C monitor (ffi/monitor.c). */
export const CONTAINER_FILES = {
  record: "container.json",
  /** The OCI runtime spec. */
  spec: "config.json",
  /** stdout/stderr, one line per record: `<RFC3339Nano> stdout|stderr F|P <text>` (CRI / k8s-file). */
  log: "ctr.log",
  /** Written by the monitor when the container exits: {"pid":N,"exitCode":N,"finishedAt":"…"}. */
  exit: "exit.json",
  /** Present while a user stop is under way: the monitor does not restart. */
  noRestart: "no-restart",
  /** The monitor's attach socket. */
  attach: "attach.sock",
  /** flock: serialises commands acting on the container. */
  lock: "lock",
} as const;

export function containersDir(root: string): string {
  return storeLayout(root).containers;
}

export function containerDir(root: string, id: string): string {
  return join(containersDir(root), id);
}

const recordPath = (root: string, id: string) => join(containerDir(root, id), "container.json");

export function newContainerId(): string {
  return randomBytes(32).toString("hex");
}

function readRecord(root: string, id: string): ContainerRecord | undefined {
  try {
    return JSON.parse(readFileSync(recordPath(root, id), "utf8")) as ContainerRecord;
  } catch {
    return undefined; // half-created (killed before its record was written): invisible
  }
}

/** A live process's start time (clock ticks); undefined once it is gone or a zombie. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] === "Z" || fields[0] === "X") return undefined;
    return fields[19];
  } catch {
    return undefined;
  }
}

interface MonitorExit {
  pid: number;
  exitCode: number;
  finishedAt: string;
  /** The monitor is waiting out its backoff before it restarts the container. */
  restarting?: boolean;
}

export function readMonitorExit(root: string, id: string): MonitorExit | undefined {
  try {
    return JSON.parse(readFileSync(join(containerDir(root, id), CONTAINER_FILES.exit), "utf8")) as MonitorExit;
  } catch {
    return undefined;
  }
}

/**
 * The record with its status made true: a running (or paused) container
 * whose process is gone is exited, with the status its monitor recorded,
 * else 137 (killed with its monitor, or the machine restarted).
 */
export function withLiveStatus(rec: ContainerRecord, root?: string): ContainerRecord {
  const s = rec.state;
  if ((s.status !== "running" && s.status !== "paused") || s.pid === undefined) return rec;
  const start = processStartTime(s.pid);
  if (start !== undefined && start === s.pidStart) return rec;
  const exit = root ? readMonitorExit(root, rec.id) : undefined;
  const recorded = exit?.pid === s.pid ? exit : undefined;
  if (recorded?.restarting && s.monitorPid !== undefined && processAlive(s.monitorPid)) {
    return { ...rec, state: { ...s, status: "restarting", exitCode: recorded.exitCode, finishedAt: recorded.finishedAt } };
  }
  return {
    ...rec,
    state: {
      ...s, status: "exited", pid: undefined, monitorPid: undefined,
      exitCode: recorded?.exitCode ?? s.exitCode ?? 137,
      finishedAt: recorded?.finishedAt ?? s.finishedAt ?? s.startedAt,
    },
  };
}

export function listContainers(root: string): ContainerRecord[] {
  let ids: string[];
  try {
    ids = readdirSync(containersDir(root)).filter((n) => /^[0-9a-f]{64}$/.test(n));
  } catch {
    return [];
  }
  return ids.flatMap((id) => {
    const r = readRecord(root, id);
    return r ? [withLiveStatus(r, root)] : [];
  });
}

/**
 * By full id, name, or unique id prefix (Docker's order). A name costs one
 * readlink (names/ holds the reservations), a prefix one directory listing:
 * no record is read but the one returned.
 */
export function findContainer(root: string, ref: string): ContainerRecord {
  const byId = (id: string) => {
    const r = readRecord(root, id);
    return r && withLiveStatus(r, root);
  };
  if (/^[0-9a-f]{64}$/.test(ref)) {
    const r = byId(ref);
    if (r) return r;
  }
  const name = ref.replace(/^\//, "");
  if (VALID_NAME.test(name)) {
    const owner = nameOwner(join(namesDir(root), name));
    const r = owner && byId(owner.id);
    if (r && r.name === name) return r;
  }
  let ids: string[] = [];
  if (/^[0-9a-f]+$/.test(ref)) {
    try { ids = readdirSync(containersDir(root)).filter((n) => n.length === 64 && n.startsWith(ref)); } catch {}
  }
  const found = ids.flatMap((id) => byId(id) ?? []);
  if (found.length === 1) return found[0]!;
  if (found.length > 1) {
    throw new RrError(`multiple containers match the id prefix "${ref}"`, { code: "AMBIGUOUS", hint: "Use more characters of the id, or the name." });
  }
  throw new NotFoundError(`No such container: ${ref}`);
}

const namesDir = (root: string) => join(containersDir(root), "names");

/**
 * Reserves a name for id: names/<name> is a symlink to "<container id>@<pid>",
 * made with one atomic symlink(2), so two rr commands can never take the
 * same name and nothing has to read every record. A reservation is stale
 * when the process that made it is gone and its container does not carry
 * the name: no record (killed while being created) or a record that names
 * it otherwise (killed while being renamed); then it is taken over.
 */
export function reserveName(root: string, name: string, id: string, tries = 3): boolean {
  const link = join(namesDir(root), name);
  try {
    symlinkSync(`${id}@${process.pid}`, link);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  const owner = nameOwner(link);
  if (owner?.id === id) return true; // ours already (an earlier rename of this container was cut short)
  if ((owner && !staleClaim(root, owner, name)) || tries === 0) return false;
  if (owner) try { unlinkSync(link); } catch {}
  return reserveName(root, name, id, tries - 1);
}

function staleClaim(root: string, owner: { id: string; pid: number }, name: string): boolean {
  if (processAlive(owner.pid)) return false;
  return readRecord(root, owner.id)?.name !== name;
}

export function nameOwner(link: string): { id: string; pid: number } | undefined {
  try {
    const [id, pid] = readlinkSync(link).split("@");
    return { id: id!, pid: Number(pid ?? 0) };
  } catch {
    return undefined;
  }
}

export const namesLink = (root: string, name: string) => join(namesDir(root), name);

export function releaseName(root: string, name: string, id: string): void {
  const link = join(namesDir(root), name);
  if (nameOwner(link)?.id === id) try { unlinkSync(link); } catch {}
}

export function createContainerRecord(root: string, rec: Omit<ContainerRecord, "name"> & { name?: string }): ContainerRecord {
  if (rec.name !== undefined && !VALID_NAME.test(rec.name)) {
    throw new UsageError(`invalid container name "${rec.name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  mkdirSync(namesDir(root), { recursive: true, mode: 0o700 });
  let name = rec.name;
  if (name !== undefined) {
    if (!reserveName(root, name, rec.id)) {
      const owner = nameOwner(join(namesDir(root), name))?.id ?? "?";
      throw new ConflictError(`the container name "/${name}" is already in use by container "${owner}"`, {
        hint: "Remove (or rename) that container to be able to reuse that name.",
      });
    }
  } else {
    const taken = new Set<string>();
    do {
      name = generateName(taken);
      taken.add(name);
    } while (!reserveName(root, name, rec.id));
  }
  const full: ContainerRecord = { ...rec, name };
  try {
    mkdirSync(containerDir(root, rec.id), { mode: 0o700 });
    writeJsonAtomic(recordPath(root, rec.id), full, { fsync: false });
  } catch (err) {
    releaseName(root, name, rec.id);
    throw err;
  }
  return full;
}

/** One container, status made true; NotFoundError when it is gone. */
export function readContainer(root: string, id: string): ContainerRecord {
  const rec = readRecord(root, id);
  if (!rec) throw new NotFoundError(`No such container: ${id}`);
  return withLiveStatus(rec, root);
}

export function updateContainerState(root: string, id: string, state: Partial<ContainerState>): ContainerRecord {
  return updateContainer(root, id, (rec) => ({ ...rec, state: { ...rec.state, ...state } }));
}

/** Rewrites a record atomically. Callers that read-modify-write hold the container's lock. */
export function updateContainer(root: string, id: string, change: (rec: ContainerRecord) => ContainerRecord): ContainerRecord {
  const rec = readRecord(root, id);
  if (!rec) throw new NotFoundError(`No such container: ${id}`);
  const next = change(withLiveStatus(rec, root));
  writeJsonAtomic(recordPath(root, id), next, { fsync: false });
  return next;
}

/** Runs fn holding the container's lock: start, stop, kill, pause, rm… never interleave on one container. */
export function withContainerLock<T>(root: string, id: string, fn: () => T): T {
  return withLock(join(containerDir(root, id), CONTAINER_FILES.lock), fn);
}

/**
 * Makes the record vanish atomically (rename out of the listing), then
 * deletes. The caller removes what needs the user namespace if this fails.
 */
export function detachContainerDir(root: string, id: string): string {
  const from = containerDir(root, id);
  const to = join(storeLayout(root).tmp, `removed-${process.pid}-${id}`);
  const name = readRecord(root, id)?.name;
  mkdirSync(storeLayout(root).tmp, { recursive: true, mode: 0o700 });
  renameSync(from, to);
  if (name) releaseName(root, name, id);
  return to;
}

export function tryRemoveTree(path: string): boolean {
  try {
    rmSync(path, { recursive: true, force: true });
    return true;
  } catch {
    return false;
  }
}
