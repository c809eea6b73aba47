/**
 * Which storage driver makes container roots: the kernel's overlayfs when it
 * works here (probed once per store and kernel), else fuse-overlayfs when it
 * is installed and /dev/fuse is usable, else a copied root filesystem.
 * RR_STORAGE_DRIVER=overlay|fuse-overlayfs|copy forces one.
 */
import { accessSync, constants, readFileSync } from "node:fs";
import { release } from "node:os";
import { join } from "node:path";
import type { Identity } from "./identity.ts";
import { findHelper } from "./identity.ts";
import { probeOverlay } from "./overlay-probe.ts";
import { writeJsonAtomic } from "../store/atomic.ts";
import { UsageError } from "../errors.ts";
import type { RootfsLayout } from "./plan-builder.ts";

export type StorageDriver = RootfsLayout["driver"];
const DRIVERS: StorageDriver[] = ["overlay", "fuse-overlayfs", "copy"];

function fuseUsable(): boolean {
  if (!findHelper("fuse-overlayfs")) return false;
  try {
    accessSync("/dev/fuse", constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** `probe` lets a caller that has already probed the kernel (rr info) reuse its answer. */
export async function chooseStorageDriver(
  root: string, identity: Identity, env: Record<string, string | undefined>,
  probe: () => Promise<{ ok: boolean }> = () => probeOverlay(identity),
): Promise<StorageDriver> {
  const forced = env.RR_STORAGE_DRIVER;
  if (forced) {
    if (!DRIVERS.includes(forced as StorageDriver)) {
      throw new UsageError(`unknown storage driver "${forced}"`, { hint: `RR_STORAGE_DRIVER takes ${DRIVERS.join(", ")}.` });
    }
    return forced as StorageDriver;
  }
  const cache = join(root, "storage-driver.json");
  try {
    const c = JSON.parse(readFileSync(cache, "utf8")) as { kernel: string; driver: StorageDriver };
    if (c.kernel === release() && DRIVERS.includes(c.driver)) return c.driver;
  } catch {}
  const driver: StorageDriver = (await probe()).ok ? "overlay" : fuseUsable() ? "fuse-overlayfs" : "copy";
  try { writeJsonAtomic(cache, { kernel: release(), driver }, { fsync: false }); } catch {}
  return driver;
}
