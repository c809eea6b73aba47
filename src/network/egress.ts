/**
 * Egress for private network namespaces: slirp4netns, a user-mode TCP/IP
 * stack that joins the namespace, makes tap0 (10.0.2.100/24, gateway 10.0.2.2,
 * DNS 10.0.2.3) and relays through sockets in the host's namespace.
 *
 * pasta (Debian's passt) is detected and reported but not used: the build in
 * Debian 12 (2023-03-09) stalls TCP through its tap here (docs/networks-design.md §5).
 */
import { closeSync, readSync } from "node:fs";
import { findHelper } from "../runtime/identity.ts";
import { cloexecPipe } from "../sys/libc.ts";
import { RrError } from "../errors.ts";

export interface EgressChoice {
  /** The tool rr uses, if any. */
  tool?: { name: "slirp4netns"; path: string };
  /** One line for `rr info` and for the hint when there is none. */
  summary: string;
}

export const SLIRP_SUBNET = "10.0.2.0/24";
export const SLIRP_DNS = "10.0.2.3";
/** The host's 127.0.0.1 as the namespace reaches it (when host loopback is allowed). */
export const SLIRP_HOST = "10.0.2.2";
export const SLIRP_DEVICE = "tap0";

export function detectEgress(env: Record<string, string | undefined> = process.env): EgressChoice {
  const slirp = findHelper("slirp4netns", env);
  if (slirp) return { tool: { name: "slirp4netns", path: slirp }, summary: `slirp4netns (${slirp})` };
  const pasta = findHelper("pasta", env);
  const install = "install slirp4netns (apt-get install slirp4netns) for egress, or use --network host";
  return { summary: pasta ? `none: pasta is installed but not used (Debian 12's pasta stalls TCP); ${install}` : `none: ${install}` };
}

export interface SlirpOptions {
  path: string;
  /** The pid whose network namespace gets tap0. */
  pid: number;
  /** Read end of the lifeline pipe: slirp4netns exits when it hangs up. */
  lifeline: number;
  /** Let the namespace reach the host's 127.0.0.1 as 10.0.2.2 (off by default, as in Podman). */
  hostLoopback: boolean;
}

/** Starts slirp4netns for pid's namespace and waits until tap0 is configured; returns its pid. */
export function startSlirp(o: SlirpOptions): number {
  const [readyRead, readyWrite] = cloexecPipe();
  const args = [o.path, "--configure", "--mtu=65520", "--enable-sandbox", "--enable-seccomp", "--exit-fd=3", "--ready-fd=4"];
  if (!o.hostLoopback) args.push("--disable-host-loopback");
  args.push(String(o.pid), SLIRP_DEVICE);
  let proc: ReturnType<typeof Bun.spawn>;
  try {
    const stdio = ["ignore", "ignore", "ignore", o.lifeline, readyWrite];
    proc = Bun.spawn(args, { stdio: stdio as unknown as ["ignore", "ignore", "ignore"] });
  } finally {
    closeSync(readyWrite);
  }
  try {
    const byte = Buffer.alloc(1);
    let n: number;
    do n = readSync(readyRead, byte, 0, 1, null); while (n < 0);
    if (n !== 1) throw new RrError("slirp4netns exited before the network was ready", { hint: "Run slirp4netns by hand to see why, or use --network none." });
  } finally {
    closeSync(readyRead);
  }
  proc.unref();
  return proc.pid;
}
