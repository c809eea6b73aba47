/**
 * Container records: $ROOT/containers/<id>/container.json beside the bundle
 * (config.json) and the container's upper/work dirs. Names are reserved
 * with atomic symlinks in containers/names/; every write is atomic.
 * Status is checked against the kernel: a dead pid is never shown Running.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { writeJsonAtomic } from "./atomic.ts";
import { storeLayout } from "./paths.ts";
import { ConflictError, NotFoundError, RrError, UsageError } from "../errors.ts";
import { generateName, VALID_NAME } from "./container-names.ts";
import { processAlive } from "./process-alive.ts";

export type ContainerStatus = "created" | "running" | "exited";

export interface ContainerState {
  status: ContainerStatus;
  pid?: number;
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
}

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

/** The record with its status made true: a running container whose process is gone is exited. */
export function withLiveStatus(rec: ContainerRecord): ContainerRecord {
  if (rec.state.status !== "running" || rec.state.pid === undefined) return rec;
  const start = processStartTime(rec.state.pid);
  if (start !== undefined && start === rec.state.pidStart) return rec;
  return { ...rec, state: { ...rec.state, status: "exited", exitCode: rec.state.exitCode ?? 137, finishedAt: rec.state.finishedAt ?? rec.state.startedAt } };
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
    return r ? [withLiveStatus(r)] : [];
  });
}

/** By full id, unique id prefix, or name (Docker's order). */
export function findContainer(root: string, ref: string): ContainerRecord {
  const all = listContainers(root);
  const exact = all.find((c) => c.id === ref || c.name === ref || c.name === ref.replace(/^\//, ""));
  if (exact) return exact;
  const prefixed = /^[0-9a-f]+$/.test(ref) ? all.filter((c) => c.id.startsWith(ref)) : [];
  if (prefixed.length === 1) return prefixed[0]!;
  if (prefixed.length > 1) {
    throw new RrError(`multiple containers match the id prefix "${ref}"`, { code: "AMBIGUOUS", hint: "Use more characters of the id, or the name." });
  }
  throw new NotFoundError(`No such container: ${ref}`);
}

const namesDir = (root: string) => join(containersDir(root), "names");

/**
 * Reserves a name: names/<name> is a symlink to "<container id>@<pid>",
 * made with one atomic symlink(2), so two rr commands can never take the
 * same name and nothing has to read every record. A reservation is stale
 * only when its container has no record AND the process that made it is
 * gone (killed between the two steps); then it is taken over.
 */
function reserveName(root: string, name: string, id: string): boolean {
  const link = join(namesDir(root), name);
  try {
    symlinkSync(`${id}@${process.pid}`, link);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  const owner = nameOwner(link);
  if (!owner || existsSync(join(containerDir(root, owner.id), "container.json")) || processAlive(owner.pid)) return false;
  try { unlinkSync(link); } catch {}
  return reserveName(root, name, id);
}

function nameOwner(link: string): { id: string; pid: number } | undefined {
  try {
    const [id, pid] = readlinkSync(link).split("@");
    return { id: id!, pid: Number(pid ?? 0) };
  } catch {
    return undefined;
  }
}


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

export function updateContainerState(root: string, id: string, state: Partial<ContainerState>): ContainerRecord {
  const rec = readRecord(root, id);
  if (!rec) throw new NotFoundError(`No such container: ${id}`);
  const next = { ...rec, state: { ...rec.state, ...state } };
  writeJsonAtomic(recordPath(root, id), next, { fsync: false });
  return next;
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
