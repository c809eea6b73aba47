/**
 * The detached-container peers: rr with its monitor (ffi/monitor.c) and
 * podman with conmon. Each gives the commands that are timed, an untimed
 * look-up of a container's monitor and PID 1, and its cleanup. Both run
 * rootless as the benchmark user on the same busybox image.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { asUser, cleanupAsUser, runAsUser } from "./as-user.ts";
import type { PeerContext } from "./peers.ts";
import { podmanCli, removeRrContainers, removeStore, rrCli, storeIn } from "./stores.ts";

/** The same as the one-shot peers get: the user, the temp dir, the busybox fixture, the rr copy. */
export type DetachedContext = PeerContext;

export interface DetachedPeer {
  name: string;
  /** the process that stays beside each detached container */
  monitorName: string;
  note?: string;
  /** `run -d --name NAME busybox sleep 1000` (wrapper included) */
  run(name: string): string[];
  stop(name: string): string[];
  rm(name: string): string[];
  /** Untimed: the monitor's pid and the container's PID 1, from `run -d`'s output or the tool. */
  pids(name: string, runStdout: string): { monitor: number; container: number };
  /** Untimed: how many of its containers run now. */
  runningCount(): number;
  /** Removes every container, reporting instead of throwing. */
  removeContainers(): void;
  /** Removes the store (files owned by subordinate ids too), reporting instead of throwing. */
  removeStore(): void;
}

const SLEEP = ["busybox", "sleep", "1000"];

const lines = (text: string) => text.split("\n").map((l) => l.trim()).filter(Boolean);

/** rr as a user runs it: subordinate ids mapped; --network host as podman's row (no slirp4netns per container). */
export function rrDetachedPeer(c: DetachedContext): DetachedPeer {
  const store = storeIn(c.dir, "rr");
  const rr = rrCli(c.rrBinary, store);
  runAsUser(c.u, [...rr, "load", "-i", c.fixture.archive]);
  return {
    name: "rr",
    monitorName: "rr-monitor",
    run: (n) => asUser(c.u, [...rr, "run", "-d", "--network", "host", "--name", n, ...SLEEP]),
    stop: (n) => asUser(c.u, [...rr, "stop", "-t", "0", n]),
    rm: (n) => asUser(c.u, [...rr, "rm", n]),
    pids(name, out) {
      const id = lines(out).pop() ?? "";
      if (!/^[0-9a-f]{64}$/.test(id)) throw new Error(`rr run -d ${name} printed ${JSON.stringify(out.trim())}, not an id`);
      const record = JSON.parse(readFileSync(join(store.root, "containers", id, "container.json"), "utf8"));
      return { monitor: Number(record.state?.monitorPid), container: Number(record.state?.pid) };
    },
    runningCount: () => lines(runAsUser(c.u, [...rr, "ps", "-q"])).length,
    removeContainers: () => removeRrContainers(c.u, rr),
    removeStore: () => removeStore(c.u, rr, store),
  };
}

/**
 * Rootless podman with its storage and runtime dir under the temp dir.
 * `--network host` for both tools: each one's default network (slirp4netns)
 * adds a process per container, measured apart in bench/network.ts.
 */
export function podmanDetachedPeer(c: DetachedContext): DetachedPeer {
  const store = storeIn(c.dir, "podman");
  const podman = podmanCli(store);
  try {
    runAsUser(c.u, [...podman, "load", "-i", c.fixture.archive]);
  } catch (e) {
    removeStore(c.u, podman, store);
    throw e;
  }
  return {
    name: "podman",
    monitorName: "conmon",
    note: "--network host for both (each default network adds a slirp4netns per container: see bench/network.ts)",
    run: (n) => asUser(c.u, [...podman, "run", "-d", "--network", "host", "--name", n, ...SLEEP]),
    stop: (n) => asUser(c.u, [...podman, "stop", "-t", "0", n]),
    rm: (n) => asUser(c.u, [...podman, "rm", n]),
    pids(name) {
      const out = runAsUser(c.u, [...podman, "inspect", "-f", "{{.State.ConmonPid}} {{.State.Pid}}", name]).trim();
      const [monitor, container] = out.split(" ").map(Number);
      return { monitor: monitor!, container: container! };
    },
    runningCount: () => lines(runAsUser(c.u, [...podman, "ps", "-q"])).length,
    removeContainers: () => cleanupAsUser(c.u, [...podman, "rm", "-f", "-a", "-t", "0"]),
    removeStore: () => removeStore(c.u, podman, store),
  };
}
