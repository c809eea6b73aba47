/**
 * Where a container's files are, as plain data that can be handed to the
 * helper in the user namespace: the image's layer directories and the
 * container's own layer (overlay upper, or the copy driver's whole root),
 * plus /proc/PID/root while it runs.
 */
import { join } from "node:path";
import { RrError } from "../../errors.ts";
import { containerDir, type ContainerRecord } from "../../store/container-store.ts";

export interface ViewSpec {
  /** The container's name, for messages. */
  name: string;
  /** Image layer directories, top first. */
  lowers: string[];
  /** overlay / fuse-overlayfs: the container's upper directory. */
  upper?: string;
  /** The copy driver: the container's whole root. */
  rootfs?: string;
  /** fuse-overlayfs may record deletions as `.wh.NAME` files. */
  whiteoutFiles?: boolean;
  /** A running container: its PID 1 and that process's start time (a reused pid is refused). */
  live?: { pid: number; start?: string };
}

export function isRunning(rec: ContainerRecord): boolean {
  return (rec.state.status === "running" || rec.state.status === "paused") && rec.state.pid !== undefined;
}

/** `live`: use the running container's own view for cp (its mounts included), as Docker does. */
export function viewSpecFor(root: string, rec: ContainerRecord, opts: { live: boolean }): ViewSpec {
  const dir = containerDir(root, rec.id);
  const driver = rec.driver ?? "overlay";
  const spec: ViewSpec = { name: rec.name, lowers: rec.lowers ?? [] };
  if (driver === "copy") spec.rootfs = join(dir, "rootfs");
  else if (driver === "overlay" || driver === "fuse-overlayfs") {
    spec.upper = join(dir, "upper");
    spec.whiteoutFiles = driver === "fuse-overlayfs";
    if (!rec.lowers?.length) throw new RrError(`container ${rec.name} has no image layers on record`);
  } else {
    throw new RrError(`container ${rec.name} uses the unknown storage driver "${driver}"`);
  }
  if (opts.live && isRunning(rec)) spec.live = { pid: rec.state.pid!, start: rec.state.pidStart };
  return spec;
}
