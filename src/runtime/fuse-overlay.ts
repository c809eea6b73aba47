/**
 * The fuse-overlayfs storage driver, for kernels that refuse overlayfs in a
 * user namespace: while the container's first process waits on its sync
 * pipe, fuse-overlayfs is started inside its user and mount namespaces and
 * mounts the root there. It lives as long as the container.
 */
import { readFileSync } from "node:fs";
import type { Identity } from "./identity.ts";
import type { RootfsLayout } from "./plan-builder.ts";
import { RrError } from "../errors.ts";
import { findHelper } from "./identity.ts";

export interface FuseMount {
  /** The fuse-overlayfs daemon (it lives as long as the container). */
  pid: number;
  stop(): void;
}

function mounted(pid: number, target: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/mountinfo`, "utf8").split("\n").some((l) => l.split(" ")[4] === target && / - fuse/.test(l));
  } catch {
    return false;
  }
}

export function mountFuseOverlay(pid: number, layout: RootfsLayout, target: string, identity: Identity): FuseMount {
  const fuse = findHelper("fuse-overlayfs");
  const nsenter = findHelper("nsenter");
  if (!fuse || !nsenter) throw new RrError("the fuse-overlayfs storage driver needs fuse-overlayfs and nsenter", { hint: "apt-get install fuse-overlayfs util-linux" });
  const opts = `lowerdir=${layout.lowers.join(":")},upperdir=${layout.upper},workdir=${layout.work}`;
  const enter = identity.mode === "root" ? ["-m"] : ["-U", "-m", "--preserve-credentials"];
  // as root the new mount namespace still shares propagation with the host's: make it a slave first
  // The daemon gets a mount namespace of its own, copied from the
  // container's: pivot_root and the detach of the old root in the container
  // must not pull the host's paths from under it. The target is made a
  // shared mount first, so the daemon's mount on its copy propagates to the
  // container's.
  const script = [
    "mount --make-rslave /", `mount --bind ${target} ${target}`, `mount --make-shared ${target}`,
    `exec unshare -m --propagation unchanged ${fuse} -f -o ${opts} ${target}`,
  ].join(" && ");
  const proc = Bun.spawn([nsenter, "-t", String(pid), ...enter, "/bin/sh", "-c", script], { stdout: "ignore", stderr: "ignore" });
  for (let i = 0; i < 500 && !mounted(pid, target); i++) {
    if (proc.exitCode !== null) break;
    Bun.sleepSync(10);
  }
  if (!mounted(pid, target)) {
    proc.kill("SIGKILL");
    throw new RrError(`fuse-overlayfs could not mount the container's root`, {
      hint: "Check that /dev/fuse exists and is readable and writable by you (mode 0666).",
    });
  }
  proc.unref(); // a detached container's daemon outlives this rr; its monitor ends it
  return { pid: proc.pid, stop: () => proc.kill("SIGTERM") };
}
