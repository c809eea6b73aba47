/**
 * What every benchmark does first: it must be root (it makes the benchmark
 * account and kills what the tools leave), and with hybrid cgroups it re-runs
 * itself in the private mount namespace the peers need.
 */
import { BENCH_USER } from "./as-user.ts";
import { enterPrivateMountNsIfNeeded } from "./private-mount-ns.ts";

/**
 * Exits (2) unless root; exits with the re-run's code when it re-ran itself.
 * Returns the note to print when this process runs in the private namespace.
 */
export function startAsRoot(label: string): string | undefined {
  if (process.getuid?.() !== 0) {
    console.error(`${label}: run me as root; I run the tools rootless as`, BENCH_USER);
    process.exit(2);
  }
  const ns = enterPrivateMountNsIfNeeded();
  if (ns && "exitCode" in ns) process.exit(ns.exitCode);
  return ns && "note" in ns ? ns.note : undefined;
}
