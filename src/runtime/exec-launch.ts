/**
 * Starts a process inside a running container: the C core joins its
 * namespaces through a non-dumpable intermediate (ffi/join.c); while the
 * child waits, rr makes sure the container's PID 1 is still the one it
 * joined and puts the child in the container's cgroups; then it is released
 * and rr learns whether execve succeeded.
 */
import { closeSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodePlan, type Plan } from "./plan-encoder.ts";
import {
  CLONE, JOIN_PHASE, JOIN_STDIO_NULL, releaseChild, spawnJoinedChild, waitChildSync, type JoinResult, type SpawnedChild,
} from "../sys/core.ts";
import { releaseAndConfirm, waitForExit, type Launched } from "./launch.ts";
import { processStartTime } from "../store/container-store.ts";
import { RrError, strerror } from "../errors.ts";

/** Every namespace a container can have; C skips those it shares with rr. */
const ALL_NAMESPACES = CLONE.NEWUSER | CLONE.NEWIPC | CLONE.NEWUTS | CLONE.NEWNET | CLONE.NEWPID | CLONE.NEWCGROUP | CLONE.NEWNS;

export interface JoinRequest {
  /** The container's PID 1 on the host, and its start time (a reused pid is not the container). */
  targetPid: number;
  targetStart: string;
  plan: Plan;
  /** exec -d: stdio on the container's /dev/null, and nobody waits. */
  detach: boolean;
  /** The container's cgroup directories; missing ones are skipped. */
  cgroupPaths: string[];
}

/** The container's PID 1 went away while rr was joining it. */
export class ContainerGoneError extends RrError {
  constructor() {
    super("the container stopped while rr was joining it", { code: "GONE" });
  }
}

/** The joined process; `exited` is absent for exec -d, which nobody waits for. */
export type Joined = Omit<Launched, "exited"> & { exited?: Promise<number> };

export function launchJoined(req: JoinRequest): Joined {
  const encoded = encodePlan(req.plan);
  const gone = () => processStartTime(req.targetPid) !== req.targetStart;
  const r = spawnJoinedChild(req.targetPid, ALL_NAMESPACES, req.detach ? JOIN_STDIO_NULL : 0, encoded);
  if (!r.ok) throw gone() ? new ContainerGoneError() : joinError(r);
  const child = r.child;
  try {
    // the namespaces were opened by pid: only now do we know they were the container's
    if (gone()) throw new ContainerGoneError();
    joinCgroups(req.cgroupPaths, child.pid);
  } catch (err) {
    abandon(child);
    throw err;
  }
  const { ptyMaster } = releaseAndConfirm(child, req.plan);
  // exec -d: the process outlives rr; the kernel gives it to rr's own reaper (host init or a
  // subreaper), as runc's go to their shim, and it still dies with the container's pid namespace
  if (req.detach) return { pid: child.pid };
  return { pid: child.pid, exited: waitForExit(child.pid), ptyMaster };
}

function abandon(child: SpawnedChild): void {
  releaseChild(child, false); // the child reads EOF and exits
  if (child.consoleFd >= 0) closeSync(child.consoleFd);
  closeSync(child.errorFd);
  waitChildSync(child.pid);
}

function joinCgroups(dirs: string[], pid: number): void {
  for (const dir of dirs) {
    try {
      writeFileSync(join(dir, "cgroup.procs"), String(pid));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue; // no longer there: nothing to join
      const errno = -((err as NodeJS.ErrnoException).errno ?? -5);
      throw new RrError(`join the container's cgroup "${dir}": ${strerror(errno)}`);
    }
  }
}

function joinError(r: Extract<JoinResult, { ok: false }>): RrError {
  const what = (() => {
    switch (r.phase) {
      case JOIN_PHASE.open: return `open the container's ${r.ns} namespace`;
      case JOIN_PHASE.setns: return `join the container's ${r.ns} namespace`;
      case JOIN_PHASE.devnull: return `open the container's /dev/null`;
      case JOIN_PHASE.dumpable: return "make the joining process non-dumpable";
      case JOIN_PHASE.clone: return "start the process in the container";
      case JOIN_PHASE.plan: return "check the setup plan";
      default: return "prepare to join the container";
    }
  })();
  return new RrError(`${what}: ${strerror(r.errno)}`, { code: "JOIN" });
}

