/**
 * Removing every stopped container (created or exited), for `container
 * prune` and `system prune`. Each is checked again under its lock, so a
 * container started meanwhile stays. Docker's prune filters: `until=` (made
 * before), `label=` (all must hold), `label!=` (not all may hold).
 */
import type { Identity } from "../runtime/identity.ts";
import { listContainers, readContainer, withContainerLock, type ContainerRecord } from "../store/container-store.ts";
import { UsageError } from "../errors.ts";
import type { CliContext } from "./context.ts";
import { containerLabels } from "./container-row.ts";
import { containerSizeRw } from "./container-size.ts";
import { matchesAllLabels, parseTimestamp, type Filters } from "./filter-args.ts";
import { removeContainerFiles } from "./remove-container.ts";
import { report } from "./report.ts";

export const PRUNE_FILTER_KEYS = ["until", "label", "label!"] as const;

export interface PruneMatch {
  (created: string, labels: Record<string, string>): boolean;
}

/** The prune filters as one predicate over an object's creation time and labels. */
export function compilePruneFilter(filters: Filters, now = Date.now()): PruneMatch {
  const until = filters.get("until") ?? [];
  if (until.length > 1) throw new UsageError("more than one until filter specified");
  const limit = until.length ? parseTimestamp(until[0]!, now) : undefined;
  const want = filters.get("label") ?? [];
  const refuse = filters.get("label!") ?? [];
  return (created, labels) =>
    (limit === undefined || Date.parse(created) < limit) &&
    matchesAllLabels(want, labels) &&
    !(refuse.length && matchesAllLabels(refuse, labels));
}

const stopped = (c: ContainerRecord) => c.state.status === "exited" || c.state.status === "created";

export async function pruneContainers(
  ctx: CliContext, identity: Identity, match: PruneMatch,
): Promise<{ deleted: string[]; reclaimed: number }> {
  const root = ctx.storePaths().root;
  const deleted: string[] = [];
  let reclaimed = 0;
  const candidates = listContainers(root)
    .filter((c) => stopped(c) && match(c.created, containerLabels(c)))
    .sort((a, b) => (a.created < b.created ? 1 : -1));
  for (const { id } of candidates) {
    try {
      await withContainerLock(root, id, async () => {
        const rec = readContainer(root, id);
        if (!stopped(rec)) return; // started since we listed it
        const size = containerSizeRw(root, rec);
        await removeContainerFiles(ctx, identity, id);
        deleted.push(id);
        reclaimed += size;
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as { code?: string }).code === "NOT_FOUND") continue; // removed meanwhile
      report(err);
    }
  }
  return { deleted, reclaimed };
}
