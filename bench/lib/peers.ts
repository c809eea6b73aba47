/**
 * The one-shot peers: how each is prepared, the command that is timed, and
 * how its state is removed again. All run rootless as the benchmark user on
 * the same busybox rootfs.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { asUser, runAsUser, type UserEnv } from "./as-user.ts";
import type { BusyboxFixture } from "./busybox-fixture.ts";
import { failureLine, runOnce } from "./measure.ts";
import { killPodmanPause } from "./podman-pause.ts";
import { podmanCli, removeStore, rrCli, storeIn } from "./stores.ts";

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

export function baseline(c: PeerContext): Peer {
  return { name: "true", argv: asUser(c.u, ["true"]), note: "the setpriv+env wrapper alone, no container", cleanup: nothing };
}

/**
 * rr as a user runs it: container 0 → the user, 1..65536 → the /etc/subuid
 * range (through newuidmap/newgidmap), rr's default network (its own namespace,
 * egress through slirp4netns, as podman's default).
 * `likeCrun` is the like-for-like row: only the user's own id mapped
 * (RR_USERNS=single) and a new network namespace, as bwrap and crun get here.
 */
export function rrPeer(c: PeerContext, likeCrun = false): Peer {
  const name = likeCrun ? "rr-like-crun" : "rr";
  const store = storeIn(c.dir, name);
  const rr = rrCli(c.rrBinary, store);
  const env: Record<string, string> = likeCrun ? { RR_USERNS: "single" } : {};
  runAsUser(c.u, [...rr, "load", "-i", c.fixture.archive], undefined, env);
  return {
    name,
    argv: asUser(c.u, [...rr, "run", "--rm", ...(likeCrun ? ["--network", "none"] : []), "busybox", "true"], env),
    note: likeCrun ? "RR_USERNS=single (only the user's own id mapped) and a network namespace, as bwrap and crun" : undefined,
    cleanup: () => removeStore(c.u, rr, store, env),
  };
}

export const rrLikeCrunPeer = (c: PeerContext) => rrPeer(c, true);

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
    note: "config.json from `crun spec --rootless` (maps only the user's own id), args [\"true\"], no terminal",
    argv: asUser(c.u, ["crun", "--root", state, "run", "--bundle", bundle, "rr-bench"]),
    cleanup: nothing, // `crun run` deletes the container when it exits
  };
}

/**
 * Rootless podman with its storage and runtime dir under the temp dir.
 * `noNetwork` is the like-for-like row (network namespace, no slirp4netns).
 */
export function podmanPeer(c: PeerContext, noNetwork = false): Peer {
  const name = noNetwork ? "podman-nonet" : "podman";
  const store = storeIn(c.dir, name);
  const podman = podmanCli(store);
  const cleanup = () => {
    removeStore(c.u, podman, store);
    killPodmanPause(c.u);
  };
  try {
    runAsUser(c.u, [...podman, "load", "-i", c.fixture.archive]);
    const run = (extra: string[]) => asUser(c.u, [...podman, "run", "--rm", ...extra, "busybox", "true"]);
    const none = ["--network", "none"];
    if (noNetwork) return { name, argv: run(none), note: "--network none", cleanup };
    const first = runOnce(run([]));
    if (first.exitCode === 0) return { name, argv: run([]), cleanup };
    // Rootless networking needs /dev/net/tun (slirp4netns); without it, no network.
    const fallback = runOnce(run(none));
    if (fallback.exitCode !== 0) throw new Error(failureLine(first));
    return { name, argv: run(none), note: `--network none: the default network failed (${failureLine(first)})`, cleanup };
  } catch (e) {
    cleanup();
    throw e;
  }
}

export const podmanNoNetPeer = (c: PeerContext) => podmanPeer(c, true);
