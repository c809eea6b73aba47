/**
 * `rr run` in the foreground, from a resolved image to an exit code:
 * create → prepare → launch → wait → record the exit → (--rm) remove.
 */
import type { RunRequest } from "./run-request.ts";
import type { ContainerCgroup } from "./cgroups.ts";
import { cgroupForStart } from "./container-cgroup.ts";
import { createContainer, type ImageForRun, type RunEnvironment } from "./container-create.ts";
import { prepareStart } from "./container-prepare.ts";
import { launch } from "./launch.ts";
import { SignalForwarder } from "./signal-forwarder.ts";
import { mountFuseOverlay, type FuseMount } from "./fuse-overlay.ts";
import { attachForeground, terminalSize } from "./foreground.ts";
import { ContainerSetupError } from "./setup-error.ts";
import { processStartTime, updateContainer, updateContainerState } from "../store/container-store.ts";
import { EXIT_RR_FAILED, NotFoundError, UsageError } from "../errors.ts";
import { prepareNetwork, type NetworkStart } from "./container-network.ts";
import { monitorExecutable } from "./monitor-binary.ts";
import { cloexecPipe } from "../sys/libc.ts";
import { closeSync } from "node:fs";

export type { ImageForRun, RunEnvironment } from "./container-create.ts";

export async function runContainer(req: RunRequest, image: ImageForRun, env: RunEnvironment): Promise<number> {
  if (req.tty && req.interactive && !process.stdin.isTTY) {
    throw new UsageError("the input device is not a TTY", { hint: "Drop -t when stdin is a pipe or a file." });
  }
  const record = await createContainer(req, image, env);
  const id = record.id;
  const signals = new SignalForwarder();
  let cgroup: ContainerCgroup | undefined;
  let fuse: FuseMount | undefined;
  let net: NetworkStart | undefined;
  let code = EXIT_RR_FAILED;
  let started = false;
  // helpers (forwarder, slirp4netns) exit when rr closes the write end: when the container is done
  const lifeline = cloexecPipe();
  try {
    net = await prepareNetwork(env.root, record, req, env.identity, () => monitorExecutable(env.root), (m) => env.warn(m));
    const prepared = prepareStart(env.root, record, env.identity, { tty: req.tty ? terminalSize() : undefined, dieWithParent: true, network: net });
    cgroup = cgroupForStart(id, req.resources, (m) => env.warn(m));
    const launched = launch({
      plan: prepared.plan, cloneFlags: prepared.cloneFlags, identity: env.identity, join: net.join,
      beforeRelease: (pid) => {
        cgroup?.addProcess(pid);
        if (prepared.layout.driver === "fuse-overlayfs") fuse = mountFuseOverlay(pid, prepared.layout, prepared.rootfs, env.identity);
        net!.wire(pid, lifeline[0]);
      },
    });
    net.close();
    closeSync(lifeline[0]);
    lifeline[0] = -1;
    started = true;
    signals.attach(launched.pid);
    const ports = net.ports;
    updateContainer(env.root, id, (r) => ({
      ...r, cgroupPaths: cgroup?.dirs, ports, // exec joins the cgroups
      state: { ...r.state, status: "running", pid: launched.pid, pidStart: processStartTime(launched.pid), startedAt: new Date().toISOString() },
    }));
    code = await attachForeground(launched, { interactive: req.interactive });
    // an --rm container is removed next: its last state would never be read
    if (!req.remove) recordExit(env.root, id, code);
    return code;
  } catch (err) {
    const exitCode = err instanceof ContainerSetupError ? err.exitCode : EXIT_RR_FAILED;
    try {
      updateContainerState(env.root, id, started
        ? { status: "exited", exitCode, error: String((err as Error).message), finishedAt: new Date().toISOString() }
        : { status: "created", exitCode, error: String((err as Error).message) }); // never ran: Docker keeps it "created"
    } catch {}
    throw err;
  } finally {
    net?.close();
    for (const fd of lifeline) if (fd >= 0) closeSync(fd);
    signals.dispose();
    fuse?.stop();
    cgroup?.remove();
    if (req.remove) await env.removeContainer(id).catch(() => env.warn(`could not remove container ${record.name}`));
  }
}

/** Records the exit; a container removed meanwhile (`rm -f`) has nothing left to record. */
function recordExit(root: string, id: string, code: number): void {
  try {
    updateContainerState(root, id, { status: "exited", exitCode: code, finishedAt: new Date().toISOString(), pid: undefined });
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
}
