/**
 * Starting a created (or stopped) container detached, under its monitor:
 * `rr start`, `rr run -d`, `rr restart` and the monitor's own restarts.
 * The caller holds the container's lock.
 */
import { closeSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { RunEnvironment } from "./container-create.ts";
import { prepareStart, storedRequest } from "./container-prepare.ts";
import { cgroupForStart } from "./container-cgroup.ts";
import type { ContainerCgroup } from "./cgroups.ts";
import { launchMonitored } from "./monitored-launch.ts";
import { monitorExecutable } from "./monitor-binary.ts";
import { mountFuseOverlay, type FuseMount } from "./fuse-overlay.ts";
import { selfCommand } from "./self-exec.ts";
import { ContainerSetupError } from "./setup-error.ts";
import {
  CONTAINER_FILES, containerDir, processStartTime, updateContainer, type ContainerRecord,
} from "../store/container-store.ts";
import { EXIT_RR_FAILED } from "../errors.ts";
import { prepareNetwork, type NetworkStart } from "./container-network.ts";
import { cloexecPipe } from "../sys/libc.ts";

/** rr's own path for the monitor to exec (restarts, --rm); none when running from source. */
function rrForMonitor(root: string): { path: string; root: string } | undefined {
  const self = selfCommand();
  return self.length === 1 ? { path: self[0]!, root } : undefined;
}

export async function startContainer(
  rec: ContainerRecord, env: RunEnvironment, opts: { restartCount?: number; attach?: () => Promise<void> } = {},
): Promise<ContainerRecord> {
  const root = env.root;
  const dir = containerDir(root, rec.id);
  const req = storedRequest(rec);
  // what the previous run left: its exit, a stop request, a dead monitor's socket
  // (an old exit.json stays: it names the old pid, so it never describes the new run, and `ps` shows "Restarting" until the new one is up)
  for (const f of [CONTAINER_FILES.noRestart, CONTAINER_FILES.attach]) rmSync(join(dir, f), { force: true });
  let cgroup: ContainerCgroup | undefined;
  let fuse: FuseMount | undefined;
  let net: NetworkStart | undefined;
  // helpers (forwarder, slirp4netns) hold the read end; the monitor the write end, until it exits
  const lifeline = cloexecPipe();
  try {
    const monitor = await monitorExecutable(root);
    net = await prepareNetwork(root, rec, req, env.identity, async () => monitor, (m) => env.warn(m));
    const prepared = prepareStart(root, rec, env.identity, { dieWithParent: true, network: net });
    cgroup = cgroupForStart(rec.id, req.resources, (m) => env.warn(m), { always: true });
    const launched = await launchMonitored({
      monitor,
      containerDir: dir,
      plan: prepared.plan,
      cloneFlags: prepared.cloneFlags,
      identity: env.identity,
      join: net.join,
      lifeline: lifeline[1],
      tty: req.tty,
      keepStdin: req.interactive,
      restart: rec.restartPolicy ?? { name: "no", maximumRetryCount: 0 },
      restartCount: opts.restartCount ?? 0,
      autoRemove: rec.autoRemove,
      rr: rrForMonitor(root),
      cgroupPaths: cgroup?.dirs ?? [],
      beforeRelease: (pid) => {
        cgroup?.addProcess(pid);
        if (prepared.layout.driver === "fuse-overlayfs") fuse = mountFuseOverlay(pid, prepared.layout, prepared.rootfs, env.identity);
        net!.wire(pid, lifeline[0]);
        return fuse?.pid;
      },
      attach: opts.attach,
    });
    const ports = net.ports;
    return updateContainer(root, rec.id, (r) => ({
      ...r,
      restartCount: opts.restartCount ?? 0,
      cgroupPaths: cgroup?.dirs,
      ports,
      state: {
        ...r.state, status: "running", pid: launched.pid, pidStart: processStartTime(launched.pid),
        monitorPid: launched.monitorPid, startedAt: new Date().toISOString(), error: undefined,
      },
    }));
  } catch (err) {
    fuse?.stop();
    cgroup?.remove();
    const exitCode = err instanceof ContainerSetupError ? err.exitCode : EXIT_RR_FAILED;
    try {
      updateContainer(root, rec.id, (r) => ({
        // one that never ran stays "created", as Docker keeps it, with the error
        ...r, state: r.state.startedAt === undefined
          ? { ...r.state, status: "created", exitCode, error: (err as Error).message }
          : { ...r.state, status: "exited", pid: undefined, monitorPid: undefined, exitCode, error: (err as Error).message, finishedAt: new Date().toISOString() },
      }));
    } catch {}
    throw err;
  } finally {
    net?.close();
    for (const fd of lifeline) closeSync(fd);
  }
}
