/**
 * Renaming a container with the conventions of container-store.ts: the new
 * name is reserved first (names/<name>, one atomic symlink(2) to
 * "<id>@<pid>"), then the record is rewritten under the container's lock,
 * then the old reservation is released. Whoever else wants either name
 * meanwhile finds it taken; a crash between the steps leaves the container
 * with one valid name and at worst a reservation whose owner's record
 * names it otherwise, which the next rename of that name takes over.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { ConflictError, UsageError } from "../errors.ts";
import { VALID_NAME } from "./container-names.ts";
import {
  containersDir, nameOwner, namesLink, readContainer, releaseName, reserveName, updateContainer, withContainerLock,
  type ContainerRecord,
} from "./container-store.ts";

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
    mkdirSync(join(containersDir(root), "names"), { recursive: true, mode: 0o700 });
    if (!reserveName(root, name, id)) {
      const owner = nameOwner(namesLink(root, name))?.id ?? "?";
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
