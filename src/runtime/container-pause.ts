/**
 * `pause` and `unpause` of one container: checks its state the way Docker
 * does, freezes or thaws it (freezer.ts) and records the new status, all
 * under the container's lock so two commands never interleave.
 */
import { freezeContainer, thawContainer } from "./freezer.ts";
import {
  findContainer, readContainer, updateContainerState, withContainerLock, type ContainerRecord,
} from "../store/container-store.ts";
import { ConflictError } from "../errors.ts";

/** Throws Docker's error when the container is not running (restarting, stopped, created). */
export function requireRunning(c: ContainerRecord, ref: string): number {
  if (c.state.status === "restarting") throw new ConflictError(`container ${ref} is restarting, wait until the container is running`);
  if ((c.state.status !== "running" && c.state.status !== "paused") || !c.state.pid) {
    throw new ConflictError(`container ${ref} is not running`, { hint: `Start it first: rr start ${ref}` });
  }
  return c.state.pid;
}

export async function pauseContainer(root: string, ref: string): Promise<ContainerRecord> {
  const found = findContainer(root, ref);
  return withContainerLock(root, found.id, async () => {
    const c = readContainer(root, found.id);
    const pid = requireRunning(c, ref);
    if (c.state.status === "paused") throw new ConflictError(`container ${ref} is already paused`);
    await freezeContainer({ pid, cgroupPaths: c.cgroupPaths });
    return updateContainerState(root, c.id, { status: "paused" });
  });
}

export async function unpauseContainer(root: string, ref: string): Promise<ContainerRecord> {
  const found = findContainer(root, ref);
  return withContainerLock(root, found.id, async () => {
    const c = readContainer(root, found.id);
    if (c.state.status !== "paused" || !c.state.pid) throw new ConflictError(`container ${ref} is not paused`);
    await thawContainer({ pid: c.state.pid, cgroupPaths: c.cgroupPaths });
    return updateContainerState(root, c.id, { status: "running" });
  });
}
