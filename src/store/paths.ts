/**
 * Where rr keeps things (DESIGN "Where things live"). Resolved once per
 * invocation from flags, environment and the effective uid.
 */
import { join } from "node:path";

export interface StorePaths {
  /** Persistent data: the OCI layout, layers, containers. */
  root: string;
  /** Run state that may vanish at reboot: pid files, sockets. */
  runroot: string;
  /** Configuration directory (daemon.json, auth). */
  config: string;
}

export function defaultStorePaths(env: Record<string, string | undefined>, uid: number): StorePaths {
  if (uid === 0) {
    return {
      root: env.RR_ROOT ?? "/var/lib/rr",
      runroot: env.RR_RUNROOT ?? "/run/rr",
      config: "/etc/rr",
    };
  }
  const home = env.HOME ?? `/tmp/rr-home-${uid}`;
  const data = env.XDG_DATA_HOME || join(home, ".local/share");
  const runtime = env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, "rr") : `/tmp/rr-${uid}`;
  return {
    root: env.RR_ROOT ?? join(data, "rr"),
    runroot: env.RR_RUNROOT ?? runtime,
    config: join(env.XDG_CONFIG_HOME || join(home, ".config"), "rr"),
  };
}

/** Fixed sub-paths of a store root. */
export function storeLayout(root: string) {
  return {
    ociLayout: join(root, "oci-layout"),
    index: join(root, "index.json"),
    blobs: join(root, "blobs", "sha256"),
    layers: join(root, "layers"),
    containers: join(root, "containers"),
    tmp: join(root, "tmp"),
    identity: join(root, "identity.json"),
    lock: join(root, "store.lock"),
  };
}
