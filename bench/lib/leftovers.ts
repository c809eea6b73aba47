/**
 * The last resort after the tools' own removal: a detached container, a
 * network holder or a pause process that outlived it would otherwise keep
 * running (and keep files in the temp dir busy).
 */
import { childrenOf, commName, killStarted, pidsMarkedBy, startTime } from "./proc.ts";

/**
 * SIGKILL to every process carrying `marker` (the temp dir) and its
 * descendants, each only if still the same process. All but `expected` are
 * named on stderr.
 */
export function killLeftovers(marker: string, expected?: number): void {
  const seen = new Set<number>();
  const walk = (pid: number) => {
    if (seen.has(pid)) return;
    seen.add(pid);
    childrenOf(pid).forEach(walk);
  };
  pidsMarkedBy(marker).forEach(walk);
  const victims = [...seen].map((pid) => [pid, startTime(pid)] as const);
  const unexpected = victims.filter(([p]) => p !== expected);
  if (unexpected.length) console.error(`cleanup: killing ${unexpected.length} leftover process(es): ${unexpected.map(([p]) => `${commName(p)} (${p})`).join(", ")}`);
  for (const [pid, started] of victims) killStarted(pid, started);
}
