/**
 * Starts a prepared plan: clone the child, write its id maps, place it in
 * its cgroup, release it, and learn whether execve succeeded. Exit is
 * learned asynchronously from the C waiter thread's pipe.
 */
import { closeSync, read } from "node:fs";
import { encodePlan, type Plan } from "./plan-encoder.ts";
import {
  readSetupResult, receiveFd, releaseChild, spawnChild, spawnChildInto, waitChildSync, watchChild, type SpawnedChild,
} from "../sys/core.ts";
import type { Identity } from "./identity.ts";
import { writeIdMaps } from "./idmap-writer.ts";
import { describeSetupFailure } from "./setup-error.ts";

export interface LaunchRequest {
  plan: Plan;
  cloneFlags: number;
  identity: Identity;
  /** Existing namespaces to join (/proc/<pid>/ns paths): a network's holder, --network container:X. */
  join?: JoinNamespaces;
  /** Called with the pid while the child still waits: join cgroups here. */
  beforeRelease?(pid: number): void;
}

export interface JoinNamespaces {
  user?: string;
  net?: string;
}

export interface Launched {
  pid: number;
  /** The exit code: the status, or 128+N for signal N. */
  exited: Promise<number>;
  /** The pty master when the plan asked for a terminal. */
  ptyMaster?: number;
}

export function launch(req: LaunchRequest): Launched {
  const encoded = encodePlan(req.plan);
  const child = req.join ? spawnChildInto(req.join, req.cloneFlags, encoded) : spawnChild(encoded, req.cloneFlags);
  try {
    if (!req.join?.user) writeIdMaps(req.identity, child.pid); // a joined user namespace has its maps
    req.beforeRelease?.(child.pid);
  } catch (err) {
    releaseChild(child, false);
    waitChildSync(child.pid);
    throw err;
  }
  const { ptyMaster } = releaseAndConfirm(child, req.plan);
  return { pid: child.pid, exited: waitForExit(child.pid), ptyMaster };
}

/**
 * Lets a waiting child go on and learns whether it reached execve; takes
 * its pty master first when it sends one. Throws the setup failure.
 */
export function releaseAndConfirm(child: SpawnedChild, plan: Plan): { ptyMaster?: number } {
  releaseChild(child, true);
  let ptyMaster: number | undefined;
  if (child.consoleFd >= 0) {
    try {
      ptyMaster = receiveFd(child.consoleFd);
    } catch {
      // the child failed before it could send the pty: its error pipe says why
    }
  }
  const failure = readSetupResult(child);
  if (failure) {
    waitChildSync(child.pid);
    if (ptyMaster !== undefined) closeSync(ptyMaster);
    throw describeSetupFailure(plan, failure.step, failure.errno);
  }
  return { ptyMaster };
}

/** The exit code of our child pid, read from the C waiter thread's pipe. */
export function waitForExit(pid: number): Promise<number> {
  const fd = watchChild(pid);
  const buf = Buffer.alloc(4);
  return new Promise((resolve, reject) => {
    read(fd, buf, 0, 4, null, (err, n) => {
      closeSync(fd);
      if (err) reject(err);
      else resolve(n === 4 ? buf.readInt32LE(0) : 255);
    });
  });
}
