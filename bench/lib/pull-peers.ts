/**
 * The pull peers: each gets fresh, empty state for every timed run (a cold
 * pull), made by `prepare` and removed by `reset` outside the timing. All
 * run rootless as the benchmark user against the same local registry.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { asUser, runAsUser, type UserEnv } from "./as-user.ts";
import { podmanCli, rrCli } from "./stores.ts";

export interface PullPeer {
  name: string;
  /** the full command that is timed (wrapper included) */
  argv: string[];
  note?: string;
  /** Fresh empty state before a timed run. */
  prepare(): void;
  /** Removes what a run left (as root: files owned by subordinate ids too). */
  reset(): void;
}

export interface PullContext {
  u: UserEnv;
  /** owned by the user; everything a peer writes goes below it */
  dir: string;
  /** `127.0.0.1:PORT/big:1` */
  ref: string;
  /** the gzip layer files, for the floor */
  layerFiles: string[];
}

/** A directory per peer, emptied between runs. */
function scratch(c: PullContext, name: string) {
  const base = join(c.dir, name);
  return {
    base,
    prepare: () => runAsUser(c.u, ["mkdir", "-p", base]),
    reset: () => rmSync(base, { recursive: true, force: true }),
  };
}

/** rr as a user runs it: a private store, subordinate ids mapped, the loopback registry over plain HTTP. */
export function rrPullPeer(c: PullContext, binary: string, name = "rr"): PullPeer {
  const s = scratch(c, name);
  const argv = asUser(c.u, [...rrCli(binary, { root: join(s.base, "root"), runroot: join(s.base, "run") }), "pull", c.ref]);
  return { name, argv, ...s };
}

/** Rootless podman with private storage; overlay driver (its default) when the kernel allows it rootless. */
export function podmanPullPeer(c: PullContext): PullPeer {
  const s = scratch(c, "podman");
  const podman = podmanCli({ root: join(s.base, "root"), runroot: join(s.base, "run") });
  return {
    name: "podman",
    argv: asUser(c.u, [...podman, "pull", "--tls-verify=false", c.ref]),
    note: "--tls-verify=false; private --root/--runroot",
    ...s,
  };
}

/** skopeo fetches into an OCI layout, umoci unpacks it into a bundle: the two-tool equivalent of a pull. */
export function skopeoUmociPeer(c: PullContext): PullPeer {
  const s = scratch(c, "skopeo-umoci");
  const layout = join(s.base, "oci"), bundle = join(s.base, "bundle");
  const script = `skopeo copy -q --src-tls-verify=false docker://${c.ref} oci:${layout}:big && umoci unpack --rootless --image ${layout}:big ${bundle}`;
  return { name: "skopeo+umoci", argv: asUser(c.u, ["sh", "-c", script]), ...s };
}

/** The floor: the same four gzip layers extracted by GNU tar, one after another, from local files. */
export function tarFloorPeer(c: PullContext): PullPeer {
  const s = scratch(c, "tar");
  const out = join(s.base, "rootfs");
  const script = `mkdir ${out} && ${c.layerFiles.map((f) => `tar -xzf ${f} -C ${out}`).join(" && ")}`;
  return { name: "tar -xzf", argv: asUser(c.u, ["sh", "-c", script]), note: "no network, no verification", ...s };
}
