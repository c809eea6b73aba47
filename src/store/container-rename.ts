/**
 * Renaming a container with the conventions of container-store.ts: the new
 * name is reserved first (names/<name>, one atomic symlink(2) to
 * "<id>@<pid>"), then the record is rewritten under the container's lock,
 * then the old reservation is released. Whoever else wants either name
 * meanwhile finds it taken; a crash between the steps leaves the container
 * with one valid name and at worst a reservation whose owner's record
 * names it otherwise, which the next rename of that name takes over.
 */
import { mkdirSync, readlinkSync, symlinkSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { ConflictError, UsageError } from "../errors.ts";
import { VALID_NAME } from "./container-names.ts";
import {
  containersDir, readContainer, releaseName, updateContainer, withContainerLock, type ContainerRecord,
} from "./container-store.ts";
import { processAlive } from "./process-alive.ts";

const namesDir = (root: string) => join(containersDir(root), "names");

export function renameContainer(root: string, id: string, newName: string): ContainerRecord {
  const name = newName.replace(/^\//, "");
  if (!VALID_NAME.test(name)) {
    throw new UsageError(`invalid container name "${newName}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  }
  return withContainerLock(root, id, () => {
    const old = readContainer(root, id).name;
    if (old === name) {
      throw new ConflictError(`renaming container "${old}" to its current name`, { hint: "Choose a different name." });
    }
    mkdirSync(namesDir(root), { recursive: true, mode: 0o700 });
    if (!reserve(root, name, id)) {
      const owner = ownerOf(join(namesDir(root), name))?.id ?? "?";
      throw new ConflictError(`the container name "/${name}" is already in use by container "${owner}"`, {
        hint: "Remove (or rename) that container to be able to reuse that name.",
      });
    }
    let renamed: ContainerRecord;
    try {
      renamed = updateContainer(root, id, (rec) => ({ ...rec, name }));
    } catch (err) {
      releaseName(root, name, id);
      throw err;
    }
    releaseName(root, old, id);
    return renamed;
  });
}

/** Takes names/<name> for id; false when a live claim holds it. */
function reserve(root: string, name: string, id: string, tries = 3): boolean {
  const link = join(namesDir(root), name);
  try {
    symlinkSync(`${id}@${process.pid}`, link);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  const owner = ownerOf(link);
  if (owner?.id === id) return true; // ours already (an earlier rename of this container was cut short)
  if (owner && !isStale(root, owner, name)) return false;
  if (tries === 0) return false;
  if (owner) try { unlinkSync(link); } catch {}
  return reserve(root, name, id, tries - 1);
}

/**
 * A claim is stale when the process that made it is gone and its container
 * does not carry the name: it has no record (killed while being created),
 * or its record names it otherwise (killed while being renamed).
 */
function isStale(root: string, owner: { id: string; pid: number }, name: string): boolean {
  if (processAlive(owner.pid)) return false;
  try {
    return readContainer(root, owner.id).name !== name;
  } catch {
    return true;
  }
}

function ownerOf(link: string): { id: string; pid: number } | undefined {
  try {
    const [id, pid] = readlinkSync(link).split("@");
    return { id: id!, pid: Number(pid ?? 0) };
  } catch {
    return undefined;
  }
}
