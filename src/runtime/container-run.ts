/**
 * `rr run` in the foreground, from a resolved image to an exit code:
 * record → config.json → plan → launch → wait → record the exit → (--rm) remove.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hostname as hostHostname } from "node:os";
import type { Identity } from "./identity.ts";
import type { RunRequest } from "./run-request.ts";
import { buildSpec, commandLine, type ImageRuntimeConfig } from "./spec.ts";
import { buildPlan, cloneFlagsFor, type RootfsLayout } from "./plan-builder.ts";
import { writeEtcFiles } from "./etc-files.ts";
import { readImageFile } from "./image-files.ts";
import { resolveUser } from "./user-lookup.ts";
import { createCgroup, detectCgroups, unsupportedLimits, type ContainerCgroup } from "./cgroups.ts";
import { launch } from "./launch.ts";
import { SignalForwarder } from "./signal-forwarder.ts";
import { chooseStorageDriver } from "./storage-driver.ts";
import { mountFuseOverlay, type FuseMount } from "./fuse-overlay.ts";
import { attachForeground, terminalSize } from "./foreground.ts";
import { ContainerSetupError } from "./setup-error.ts";
import {
  containerDir, createContainerRecord, newContainerId, processStartTime, updateContainerState,
} from "../store/container-store.ts";
import { EXIT_RR_FAILED, NotFoundError, RrError, UsageError } from "../errors.ts";

export interface ImageForRun {
  id: string;
  /** Layer directories, top first. */
  layerDirs: string[];
  config: ImageRuntimeConfig;
}

export interface RunEnvironment {
  root: string;
  identity: Identity;
  warn(message: string): void;
  /** Removes a container and its files, entering the user namespace if needed. */
  removeContainer(id: string): Promise<void>;
  /** Copies layers (bottom first) into dest, entering the user namespace if needed. */
  copyRootfs(dest: string, layersBottomUp: string[]): Promise<void>;
}

export async function runContainer(req: RunRequest, image: ImageForRun, env: RunEnvironment): Promise<number> {
  if (req.detach) throw new UsageError("detached containers (-d) are not supported yet", { hint: "Run in the foreground, or use your shell's & for now." });
  if (req.tty && req.interactive && !process.stdin.isTTY) {
    throw new UsageError("the input device is not a TTY", { hint: "Drop -t when stdin is a pipe or a file." });
  }
  // cgroups are looked at only when a limit is asked for: a plain run pays nothing
  const limitsAsked = Object.values(req.resources).filter((v) => v !== undefined).length;
  const cgroupSupport = limitsAsked ? detectCgroups() : undefined;
  const missing = cgroupSupport ? unsupportedLimits(req.resources, cgroupSupport) : [];
  if (missing.length) {
    env.warn(`${missing.join(", ")} ignored: ${cgroupSupport!.note ?? `the ${cgroupSupport!.version} cgroup controllers are not available`}`);
  }

  const id = newContainerId();
  const record = createContainerRecord(env.root, {
    id, name: req.name, image: req.image, imageId: image.id, created: new Date().toISOString(),
    command: commandLine(req, image.config), autoRemove: req.remove, labels: req.labels, state: { status: "created" },
  });
  const dir = containerDir(env.root, id);
  const signals = new SignalForwarder();
  let cgroup: ContainerCgroup | undefined;
  let fuse: FuseMount | undefined;
  let code = EXIT_RR_FAILED;
  try {
    const driver = await chooseStorageDriver(env.root, env.identity, process.env);
    const layout: RootfsLayout = { driver, lowers: image.layerDirs, upper: join(dir, "upper"), work: join(dir, "work") };
    const rootfs = join(dir, "rootfs");
    for (const d of [layout.upper, layout.work, rootfs]) mkdirSync(d, { mode: 0o755 });
    if (driver === "copy") await env.copyRootfs(rootfs, [...image.layerDirs].reverse());
    const hostname = req.hostname ?? (req.network === "host" ? hostHostname() : id.slice(0, 12));
    const files = writeEtcFiles(dir, { hostname, addHosts: req.addHosts, dns: req.dns, network: req.network });
    const user = resolveUser(
      req.user ?? image.config.User,
      readImageFile(image.layerDirs, "etc/passwd") ?? "",
      readImageFile(image.layerDirs, "etc/group") ?? "",
    );
    checkUserMapped(user, env.identity);
    const spec = buildSpec(req, image.config, {
      id, identity: env.identity, rootfs, user, hostname, files, cgroupsPath: `rr-${id.slice(0, 12)}`,
    });
    if (!spec.process.args.length) {
      throw new UsageError("no command specified", { hint: "The image has no CMD or ENTRYPOINT: give a command after the image name." });
    }
    writeFileSync(join(dir, "config.json"), JSON.stringify(spec, null, 2));
    const tty = req.tty ? terminalSize() ?? { rows: 24, cols: 80 } : undefined;
    const plan = buildPlan(spec, {
      identity: env.identity, rootfs: layout, tty, stdinAttached: req.interactive, init: req.init, dieWithParent: true,
    });
    if (cgroupSupport && missing.length < limitsAsked) {
      cgroup = createCgroup(spec.linux.cgroupsPath, req.resources, cgroupSupport);
    }
    if (!req.tty) plan.flags.push("setsid");
    const launched = launch({
      plan, cloneFlags: cloneFlagsFor(spec), identity: env.identity,
      beforeRelease: (pid) => {
        cgroup?.addProcess(pid);
        if (driver === "fuse-overlayfs") fuse = mountFuseOverlay(pid, layout, rootfs, env.identity);
      },
    });
    signals.attach(launched.pid);
    updateContainerState(env.root, id, {
      status: "running", pid: launched.pid, pidStart: processStartTime(launched.pid), startedAt: new Date().toISOString(),
    });
    code = await attachForeground(launched, { interactive: req.interactive });
    // an --rm container is removed next: its last state would never be read
    if (!req.remove) recordExit(env.root, id, code);
    return code;
  } catch (err) {
    const exitCode = err instanceof ContainerSetupError ? err.exitCode : EXIT_RR_FAILED;
    try {
      updateContainerState(env.root, id, { status: "exited", exitCode, error: String((err as Error).message), finishedAt: new Date().toISOString() });
    } catch {}
    throw err;
  } finally {
    signals.dispose();
    fuse?.stop();
    cgroup?.remove();
    if (req.remove) await env.removeContainer(id).catch(() => env.warn(`could not remove container ${record.name}`));
  }
}


/** An id outside the user namespace's map cannot be switched to: say so before starting. */
function checkUserMapped(user: { uid: number; gid: number }, identity: Identity): void {
  if (identity.mode === "root") return;
  const mapped = (id: number, maps: Identity["uidMap"]) => maps.some((m) => id >= m.containerId && id < m.containerId + m.size);
  if (!mapped(user.uid, identity.uidMap) || !mapped(user.gid, identity.gidMap)) {
    throw new RrError(`user ${user.uid}:${user.gid} is not mapped in this ${identity.mode} user namespace`, {
      hint: identity.mode === "rootless-single"
        ? "Only id 0 is mapped: add ranges for your user to /etc/subuid and /etc/subgid (and install uidmap), or run as -u 0."
        : "Widen your ranges in /etc/subuid and /etc/subgid.",
    });
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
