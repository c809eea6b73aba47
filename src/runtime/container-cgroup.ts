/**
 * The cgroup a container start asks for. A detached container always gets
 * one where rr may create it (pause uses its freezer, stats its counters);
 * a foreground run only when a limit is set, so a plain run pays nothing.
 * Limits this machine cannot apply are named in a warning.
 */
import type { ResourceLimits } from "./run-request.ts";
import { createContainerCgroup, detectCgroups, unsupportedLimits, type ContainerCgroup } from "./cgroups.ts";

export function cgroupForStart(
  id: string, resources: ResourceLimits, warn: (m: string) => void, opts: { always?: boolean } = {},
): ContainerCgroup | undefined {
  const asked = Object.values(resources).filter((v) => v !== undefined).length;
  if (!asked && !opts.always) return undefined;
  const support = detectCgroups();
  const missing = unsupportedLimits(resources, support);
  if (missing.length) warn(`${missing.join(", ")} ignored: ${support.note ?? `the ${support.version} cgroup controllers are not available`}`);
  return createContainerCgroup(`rr-${id.slice(0, 12)}`, resources, support, { always: opts.always });
}
