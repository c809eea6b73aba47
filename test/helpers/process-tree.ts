/** Test processes that fork: end a tree we started, by pid, children first. */
import { readFileSync } from "node:fs";

function children(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").split(" ").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export function killTree(pid: number): void {
  for (const c of children(pid)) killTree(c);
  try { process.kill(pid, "SIGKILL"); } catch {}
  try { process.kill(pid, "SIGCONT"); } catch {}
}
