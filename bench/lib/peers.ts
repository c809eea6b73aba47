/**
 * The one-shot peers: how each is prepared, the command that is timed, and
 * how its state is removed again. All run rootless as the benchmark user on
 * the same busybox rootfs.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { asUser, runAsUser, type UserEnv } from "./as-user.ts";
import type { BusyboxFixture } from "./busybox-fixture.ts";
import { failureLine, runOnce } from "./measure.ts";

export interface Peer {
  name: string;
  /** the full command that is timed (wrapper included) */
  argv: string[];
  /** shown under the table, e.g. a flag the environment forced */
  note?: string;
  cleanup(): void;
}

export interface PeerContext {
  u: UserEnv;
  /** a directory owned by the user, removed afterwards */
  dir: string;
  fixture: BusyboxFixture;
  rrBinary: string;
}

const nothing = () => {};

/** Runs a cleanup step, reporting instead of throwing: cleanup must go on. */
function bestEffort(u: UserEnv, argv: string[]): void {
  try {
    runAsUser(u, argv);
  } catch (e) {
    console.error(`cleanup: ${(e as Error).message}`);
  }
}

export function baseline(c: PeerContext): Peer {
  return { name: "true", argv: asUser(c.u, ["true"]), note: "the setpriv+env wrapper alone, no container", cleanup: nothing };
}

export function rrPeer(c: PeerContext): Peer {
  const root = join(c.dir, "rr-root"), runroot = join(c.dir, "rr-run");
  const rr = [c.rrBinary, "--root", root, "--runroot", runroot];
  runAsUser(c.u, [...rr, "load", "-i", c.fixture.archive]);
  return {
    name: "rr",
    argv: asUser(c.u, [...rr, "run", "--rm", "busybox", "true"]),
    cleanup: () => bestEffort(c.u, [...rr, "unshare", "rm", "-rf", root, runroot]),
  };
}

export function bwrapPeer(c: PeerContext): Peer {
  const argv = ["bwrap", "--unshare-all", "--uid", "0", "--gid", "0", "--bind", c.fixture.rootfs, "/",
    "--proc", "/proc", "--dev", "/dev", "true"];
  return { name: "bwrap", argv: asUser(c.u, argv), cleanup: nothing };
}

export function crunPeer(c: PeerContext): Peer {
  const bundle = join(c.dir, "crun-bundle"), state = join(c.dir, "crun-state");
  runAsUser(c.u, ["mkdir", bundle]);
  runAsUser(c.u, ["crun", "spec", "--rootless"], bundle);
  const configPath = join(bundle, "config.json");
  const config = JSON.parse(readFileSync(configPath, "utf8"));
  config.process.args = ["true"];
  config.process.terminal = false;
  config.root.path = c.fixture.rootfs;
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  return {
    name: "crun",
    argv: asUser(c.u, ["crun", "--root", state, "run", "--bundle", bundle, "rr-bench"]),
    cleanup: nothing, // `crun run` deletes the container when it exits
  };
}

/** Rootless podman with its storage, config and runtime dir all under the temp dir. */
export function podmanPeer(c: PeerContext): Peer {
  const root = join(c.dir, "podman-root"), runroot = join(c.dir, "podman-run");
  const podman = ["podman", "--root", root, "--runroot", runroot, "--cgroup-manager=cgroupfs", "--events-backend=file"];
  const cleanup = () => {
    bestEffort(c.u, [...podman, "unshare", "rm", "-rf", root, runroot]);
    // Rootless podman leaves a pause process holding its user namespace.
    const pidFile = join(c.u.xdgRuntimeDir, "libpod", "tmp", "pause.pid");
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, "utf8").trim());
      if (pid > 1) try { process.kill(pid, "SIGKILL"); } catch { /* already gone */ }
    }
  };
  try {
    runAsUser(c.u, [...podman, "load", "-i", c.fixture.archive]);
    const run = (extra: string[]) => asUser(c.u, [...podman, "run", "--rm", ...extra, "busybox", "true"]);
    const first = runOnce(run([]));
    if (first.exitCode === 0) return { name: "podman", argv: run([]), cleanup };
    // Rootless networking needs /dev/net/tun (slirp4netns) or pasta; without it, no network.
    const none = runOnce(run(["--network", "none"]));
    if (none.exitCode !== 0) throw new Error(failureLine(none));
    const why = failureLine(first).replace(/\\n.*/, "");
    return { name: "podman", argv: run(["--network", "none"]), note: `--network none: the default network failed (${why})`, cleanup };
  } catch (e) {
    cleanup();
    throw e;
  }
}

