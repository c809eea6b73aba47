/**
 * The cgroup a container start asks for: only when a limit is set (a plain
 * run pays nothing), with a warning for limits this machine cannot apply.
 */
import type { ResourceLimits } from "./run-request.ts";
import { createCgroup, detectCgroups, unsupportedLimits, type ContainerCgroup } from "./cgroups.ts";

export function cgroupForStart(id: string, resources: ResourceLimits, warn: (m: string) => void): ContainerCgroup | undefined {
  const asked = Object.values(resources).filter((v) => v !== undefined).length;
  if (!asked) return undefined;
  const support = detectCgroups();
  const missing = unsupportedLimits(resources, support);
  if (missing.length) warn(`${missing.join(", ")} ignored: ${support.note ?? `the ${support.version} cgroup controllers are not available`}`);
  return missing.length < asked ? createCgroup(`rr-${id.slice(0, 12)}`, resources, support) : undefined;
}
