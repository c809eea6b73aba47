/**
 * `rr create` (and the first half of `rr run`): the record, the storage
 * driver's directories and, for the copy driver, the root filesystem. Every
 * start after this rebuilds the spec from the stored request.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Identity } from "./identity.ts";
import type { RunRequest } from "./run-request.ts";
import { commandLine, type ImageRuntimeConfig } from "./spec.ts";
import { chooseStorageDriver } from "./storage-driver.ts";
import { joinNetworks } from "./network-membership.ts";
import { parseNetworkMode } from "./network-mode.ts";
import { detectEgress } from "../network/egress.ts";
import {
  containerDir, createContainerRecord, findContainer, newContainerId, type ContainerRecord, type RestartPolicy,
} from "../store/container-store.ts";

export interface ImageForRun {
  id: string;
  /** Layer directories, top first. */
  layerDirs: string[];
  config: ImageRuntimeConfig & { StopSignal?: string };
}

export interface RunEnvironment {
  root: string;
  identity: Identity;
  warn(message: string): void;
  /** Removes a container and its files, entering the user namespace if needed. */
  removeContainer(id: string): Promise<void>;
  /** Copies layers (bottom first) into dest, entering the user namespace if needed. */
  copyRootfs(dest: string, layersBottomUp: string[]): Promise<void>;
}

export function parseRestartPolicy(text: string): RestartPolicy {
  const [name, count] = text.split(":") as [RestartPolicy["name"], string?];
  return { name, maximumRetryCount: count ? Number(count) : 0 };
}

export async function createContainer(req: RunRequest, image: ImageForRun, env: RunEnvironment): Promise<ContainerRecord> {
  const mode = parseNetworkMode(req.network);
  const egress = mode.kind === "private" ? detectEgress() : undefined;
  if (egress && !egress.tool) env.warn(`the container's network has loopback only: ${egress.summary.replace(/^none: /, "")}`);
  if (mode.kind === "host" && (req.publish?.length || req.publishAll)) env.warn("Published ports are discarded when using host network mode");
  if (mode.kind === "container") findContainer(env.root, mode.ref); // No such container: refused before anything is made
  const driver = await chooseStorageDriver(env.root, env.identity, process.env);
  const id = newContainerId();
  const { pull: _pull, ...request } = req as RunRequest & { pull?: string };
  const record = createContainerRecord(env.root, {
    id, name: req.name, image: req.image, imageId: image.id, created: new Date().toISOString(),
    command: commandLine(req, image.config), autoRemove: req.remove, labels: req.labels, state: { status: "created" },
    request: request as unknown as Record<string, unknown>,
    imageConfig: image.config as Record<string, unknown>,
    driver, lowers: image.layerDirs,
    restartPolicy: parseRestartPolicy(req.restart),
    restartCount: 0,
    stopSignal: req.stopSignal ?? image.config.StopSignal,
    stopTimeout: req.stopTimeout,
  });
  try {
    const dir = containerDir(env.root, id);
    for (const d of ["upper", "work", "rootfs"]) mkdirSync(join(dir, d), { mode: 0o755 });
    if (driver === "copy") await env.copyRootfs(join(dir, "rootfs"), [...image.layerDirs].reverse());
    joinNetworks(env.root, record, req);
  } catch (err) {
    await env.removeContainer(id).catch(() => {});
    throw err;
  }
  return record;
}
