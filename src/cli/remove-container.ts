/**
 * Removing a container's directory: it leaves the listing at once (renamed
 * into $ROOT/tmp), then is deleted by rr itself, or inside the user
 * namespace when the container left files owned by subordinate ids.
 */
import { chmodSync, existsSync } from "node:fs";
import { join, relative } from "node:path";
import type { CliContext } from "./context.ts";
import type { Identity } from "../runtime/identity.ts";
import { containerDir, detachContainerDir, tryRemoveTree } from "../store/container-store.ts";
import { removeStorePaths } from "./unpack.ts";
import { leaveAllNetworks } from "../runtime/network-membership.ts";

export async function removeContainerFiles(ctx: CliContext, identity: Identity, id: string): Promise<void> {
  const root = ctx.storePaths().root;
  leaveAllNetworks(root, id); // also for a directory already gone: no address stays reserved
  if (!existsSync(containerDir(root, id))) return; // already removed (rm -f while it ran)
  const doomed = detachContainerDir(root, id);
  // overlayfs leaves its work/work directory mode 000
  try { chmodSync(join(doomed, "work", "work"), 0o700); } catch {}
  if (tryRemoveTree(doomed)) return;
  await removeStorePaths(ctx, identity, [relative(root, doomed)]);
}
