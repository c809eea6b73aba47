/**
 * Pausing a container: the cgroup freezer when it has one (v2
 * cgroup.freeze, v1 freezer.state), else SIGSTOP to every process, as
 * rootless without a delegated cgroup must. Both wait until the container
 * really is stopped. Which one a container uses depends only on its
 * cgroupPaths, so unpause always undoes what pause did.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cgroupDirWith } from "./cgroups.ts";
import { containerProcesses, type ContainerProcessSource } from "./container-processes.ts";
import { readProcStat } from "./proc-stat.ts";
import { RrError } from "../errors.ts";

export type PauseMethod = "cgroup v2 freezer" | "cgroup v1 freezer" | "signals";

const TIMEOUT_MS = 5000;

export function pauseMethod(cgroupPaths: string[] | undefined): PauseMethod {
  if (cgroupDirWith(cgroupPaths, "cgroup.freeze")) return "cgroup v2 freezer";
  if (cgroupDirWith(cgroupPaths, "freezer.state")) return "cgroup v1 freezer";
  return "signals";
}

export async function freezeContainer(c: ContainerProcessSource): Promise<PauseMethod> {
  const method = pauseMethod(c.cgroupPaths);
  if (method === "cgroup v2 freezer") await setV2(cgroupDirWith(c.cgroupPaths, "cgroup.freeze")!, true);
  else if (method === "cgroup v1 freezer") await freezeV1(cgroupDirWith(c.cgroupPaths, "freezer.state")!);
  else await stopAll(c);
  return method;
}

export async function thawContainer(c: ContainerProcessSource): Promise<PauseMethod> {
  const method = pauseMethod(c.cgroupPaths);
  if (method === "cgroup v2 freezer") await setV2(cgroupDirWith(c.cgroupPaths, "cgroup.freeze")!, false);
  else if (method === "cgroup v1 freezer") await thawV1(cgroupDirWith(c.cgroupPaths, "freezer.state")!);
  else signalAll(containerProcesses(c), "SIGCONT");
  return method;
}

/** v2: write cgroup.freeze, then wait for cgroup.events to agree. */
async function setV2(dir: string, frozen: boolean): Promise<void> {
  writeFileSync(join(dir, "cgroup.freeze"), frozen ? "1" : "0");
  const want = `frozen ${frozen ? 1 : 0}`;
  const deadline = Date.now() + TIMEOUT_MS;
  while (!readFileSync(join(dir, "cgroup.events"), "utf8").split("\n").includes(want)) {
    if (Date.now() > deadline) {
      if (frozen) writeFileSync(join(dir, "cgroup.freeze"), "0");
      throw new RrError(`cgroup ${dir} did not ${frozen ? "freeze" : "thaw"} within ${TIMEOUT_MS / 1000} s`);
    }
    await Bun.sleep(5);
  }
}

const v1State = (dir: string) => readFileSync(join(dir, "freezer.state"), "utf8").trim();

/**
 * v1: FREEZING can linger while new processes keep arriving; write FROZEN
 * again until it holds, thawing now and then to let forks settle (runc's way).
 */
async function freezeV1(dir: string): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS;
  for (let i = 0; Date.now() < deadline; i++) {
    if (i % 50 === 49) {
      writeFileSync(join(dir, "freezer.state"), "THAWED");
      await Bun.sleep(10);
    }
    writeFileSync(join(dir, "freezer.state"), "FROZEN");
    if (v1State(dir) === "FROZEN") return;
    await Bun.sleep(1);
  }
  writeFileSync(join(dir, "freezer.state"), "THAWED");
  throw new RrError(`cgroup ${dir} did not freeze within ${TIMEOUT_MS / 1000} s`);
}

async function thawV1(dir: string): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS;
  writeFileSync(join(dir, "freezer.state"), "THAWED");
  while (v1State(dir) !== "THAWED") {
    if (Date.now() > deadline) throw new RrError(`cgroup ${dir} did not thaw within ${TIMEOUT_MS / 1000} s`);
    await Bun.sleep(1);
  }
}

function signalAll(pids: number[], signal: "SIGSTOP" | "SIGCONT"): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ESRCH") continue; // exited meanwhile
      throw new RrError(`send ${signal} to process ${pid}`, { cause: err });
    }
  }
}

/** A process that can no longer run: stopped, dead, or gone. */
function halted(pid: number): boolean {
  const st = readProcStat(pid);
  return !st || "TtZX".includes(st.state);
}

/**
 * SIGSTOP every process, again for any forked meanwhile, until a listing
 * shows nothing new and everything halted. On failure the container is
 * resumed: half a pause is worse than none.
 */
async function stopAll(c: ContainerProcessSource): Promise<void> {
  const stopped = new Set<number>();
  const deadline = Date.now() + TIMEOUT_MS;
  try {
    for (;;) {
      const fresh = containerProcesses(c).filter((p) => !stopped.has(p));
      if (!fresh.length) return;
      signalAll(fresh, "SIGSTOP");
      for (const p of fresh) stopped.add(p);
      while (!fresh.every(halted)) {
        if (Date.now() > deadline) {
          const pid = fresh.find((p) => !halted(p));
          throw new RrError(`process ${pid} of the container did not stop within ${TIMEOUT_MS / 1000} s`);
        }
        await Bun.sleep(2);
      }
    }
  } catch (err) {
    try { signalAll([...stopped], "SIGCONT"); } catch {}
    throw err;
  }
}
