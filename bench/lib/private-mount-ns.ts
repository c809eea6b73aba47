/**
 * crun (and podman, which runs crun) refuses a "hybrid" cgroup layout whose
 * cgroup2 mount at /sys/fs/cgroup/unified has controllers:
 *   "cgroups in hybrid mode not supported, drop all controllers from cgroupv2".
 * Some machines have exactly that. The benchmark then re-runs itself in a
 * private mount namespace without that one mount, so the peers can run; every
 * tool (rr too) runs in the same namespace, and the host is left untouched.
 */
import { existsSync, readFileSync, statfsSync } from "node:fs";

const UNIFIED = "/sys/fs/cgroup/unified";
const CGROUP2_SUPER_MAGIC = 0x63677270;
const MARK = "RR_BENCH_PRIVATE_MOUNT_NS";

function hybridWithControllers(): boolean {
  try {
    if (!existsSync(`${UNIFIED}/cgroup.controllers`)) return false;
    if (statfsSync(UNIFIED).type !== CGROUP2_SUPER_MAGIC) return false;
    return readFileSync(`${UNIFIED}/cgroup.controllers`, "utf8").trim() !== "";
  } catch {
    return false;
  }
}

function run(argv: string[]): void {
  const r = Bun.spawnSync(argv, { stdout: "inherit", stderr: "inherit" });
  if (r.exitCode !== 0) throw new Error(`${argv.join(" ")}: exit ${r.exitCode}`);
}

/**
 * Returns a note when this process now runs in the private namespace, or
 * the exit code of the re-run when it re-executed itself (the caller exits
 * with it), or undefined when nothing was needed.
 */
export function enterPrivateMountNsIfNeeded(): { note: string } | { exitCode: number } | undefined {
  if (process.env[MARK] === "1") {
    run(["umount", UNIFIED]);
    // Private propagation cut us off from the host; shared again *inside*
    // the namespace, which is what rootless podman expects of "/".
    run(["mount", "--make-rshared", "/"]);
    return { note: `ran in a private mount namespace without ${UNIFIED} (hybrid cgroups with controllers; crun refuses them)` };
  }
  if (process.getuid?.() !== 0 || !hybridWithControllers()) return undefined;
  const r = Bun.spawnSync(
    ["unshare", "--mount", "--propagation", "private", process.execPath, ...process.argv.slice(1)],
    { env: { ...process.env, [MARK]: "1" }, stdin: "inherit", stdout: "inherit", stderr: "inherit" },
  );
  return { exitCode: r.exitCode };
}
