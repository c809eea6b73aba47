/**
 * Rootless podman keeps one pause process per user, holding its user
 * namespace and shared by all its containers; it outlives the benchmark's
 * stores (even `podman unshare` starts it again), so it is ended by its pid.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { UserEnv } from "./as-user.ts";
import { alive, killStarted, startTime } from "./proc.ts";

export function podmanPausePid(u: UserEnv): number | undefined {
  const f = join(u.xdgRuntimeDir, "libpod", "tmp", "pause.pid");
  if (!existsSync(f)) return undefined;
  const pid = Number(readFileSync(f, "utf8").trim());
  return pid > 1 && alive(pid) ? pid : undefined;
}

export function killPodmanPause(u: UserEnv): void {
  const pid = podmanPausePid(u);
  if (pid !== undefined) killStarted(pid, startTime(pid));
}
