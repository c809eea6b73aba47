/**
 * Each tool's private store under the benchmark's temp dir, the command line
 * that uses it, and its removal. Private stores keep the runs apart from each
 * other and from the user's own containers and images.
 */
import { join } from "node:path";
import { cleanupAsUser, runAsUser, type UserEnv } from "./as-user.ts";

export interface Store {
  root: string;
  runroot: string;
}

/** DIR/NAME-root and DIR/NAME-run. */
export function storeIn(dir: string, name: string): Store {
  return { root: join(dir, `${name}-root`), runroot: join(dir, `${name}-run`) };
}

export function rrCli(binary: string, s: Store): string[] {
  return [binary, "--root", s.root, "--runroot", s.runroot];
}

/** No systemd user session here: cgroupfs and a file for events. */
export function podmanCli(s: Store): string[] {
  return ["podman", "--root", s.root, "--runroot", s.runroot, "--cgroup-manager=cgroupfs", "--events-backend=file"];
}

/** `CLI unshare rm -rf ROOT RUNROOT`: files owned by subordinate ids need the tool's user namespace. Reports, never throws. */
export function removeStore(u: UserEnv, cli: string[], s: Store, env: Record<string, string> = {}): void {
  cleanupAsUser(u, [...cli, "unshare", "rm", "-rf", s.root, s.runroot], env);
}

/** `rm -f` of every container in an rr store (`ps -aq`). Reports, never throws. */
export function removeRrContainers(u: UserEnv, rr: string[]): void {
  try {
    const ids = runAsUser(u, [...rr, "ps", "-aq"]).split("\n").map((l) => l.trim()).filter(Boolean);
    if (ids.length) cleanupAsUser(u, [...rr, "rm", "-f", ...ids]);
  } catch (e) {
    console.error(`cleanup: ${(e as Error).message}`);
  }
}
