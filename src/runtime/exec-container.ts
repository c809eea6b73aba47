/**
 * `rr exec`: a new process in a running container, from the container's
 * record and config.json to the process's exit code (or, with -d, to the
 * moment it runs).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Identity } from "./identity.ts";
import type { RuntimeSpec } from "./spec.ts";
import { buildExecPlan, type ExecOptions } from "./exec-plan.ts";
import { execUser } from "./exec-user.ts";
import { ContainerGoneError, launchJoined } from "./exec-launch.ts";
import { attachForeground, terminalSize } from "./foreground.ts";
import { SignalForwarder } from "./signal-forwarder.ts";
import { CONTAINER_FILES, containerDir, findContainer, type ContainerRecord } from "../store/container-store.ts";
import { RrError, UsageError } from "../errors.ts";

export type { ExecOptions } from "./exec-plan.ts";

/** Docker's refusals, word for word where Docker has words. */
function checkRunning(rec: ContainerRecord, ref: string): { pid: number; start: string } {
  const s = rec.state;
  if (s.status === "paused") throw new RrError(`container ${ref} is paused, unpause the container before exec`, { code: "PAUSED" });
  if (s.status === "restarting") {
    throw new RrError(`container ${ref} is restarting, wait until the container is running`, { code: "NOT_RUNNING" });
  }
  if (s.status !== "running" || s.pid === undefined || s.pidStart === undefined) {
    throw new RrError(`container ${ref} is not running`, { code: "NOT_RUNNING", hint: `Start it first: rr start ${ref}` });
  }
  return { pid: s.pid, start: s.pidStart };
}

function readSpec(root: string, rec: ContainerRecord): RuntimeSpec {
  try {
    return JSON.parse(readFileSync(join(containerDir(root, rec.id), CONTAINER_FILES.spec), "utf8")) as RuntimeSpec;
  } catch (err) {
    throw new RrError(`read the configuration of container ${rec.name}`, { cause: err });
  }
}

/** Whether the image or `rr run -e` set HOME: if not, `rr run` derived it from its user. */
function containerSetsHome(rec: ContainerRecord): boolean {
  const lists = [(rec.imageConfig?.Env as string[] | undefined) ?? [], (rec.request?.env as string[] | undefined) ?? []];
  return lists.some((l) => l.some((e) => e.startsWith("HOME=")));
}

export async function execInContainer(root: string, ref: string, opts: ExecOptions, identity: Identity): Promise<number> {
  if (opts.tty && opts.interactive && !opts.detach && !process.stdin.isTTY) {
    throw new UsageError("the input device is not a TTY", { hint: "Drop -t when stdin is a pipe or a file." });
  }
  if (opts.workdir !== undefined && !opts.workdir.startsWith("/")) {
    throw new UsageError(`the working directory '${opts.workdir}' is invalid, it needs to be an absolute path`);
  }
  const rec = findContainer(root, ref);
  const target = checkRunning(rec, ref);
  const spec = readSpec(root, rec);
  const user = execUser(spec, opts.user, `/proc/${target.pid}/root`, identity);
  const plan = buildExecPlan(spec, opts, {
    identity, user, containerSetsHome: containerSetsHome(rec), tty: opts.tty ? terminalSize() : undefined,
  });
  // installed before the process exists: a signal during setup is held, then forwarded
  const signals = opts.detach ? undefined : new SignalForwarder();
  try {
    let joined;
    try {
      joined = launchJoined({ targetPid: target.pid, targetStart: target.start, plan, detach: opts.detach, cgroupPaths: rec.cgroupPaths ?? [] });
    } catch (err) {
      if (err instanceof ContainerGoneError) throw new RrError(`container ${ref} is not running`, { code: "NOT_RUNNING" });
      throw err;
    }
    if (!joined.exited) return 0;
    signals?.attach(joined.pid);
    return await attachForeground({ ...joined, exited: joined.exited }, { interactive: opts.interactive });
  } finally {
    signals?.dispose();
  }
}
