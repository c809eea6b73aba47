/**
 * What `--network` asks for. Docker's spellings: host, none, container:X,
 * bridge (the default network) or a network's name; Podman's
 * slirp4netns[:allow_host_loopback=true]; unset is a private namespace with
 * egress through slirp4netns when it is installed.
 */
import { UsageError } from "../errors.ts";

export type NetworkMode =
  | { kind: "host" }
  | { kind: "none" }
  | { kind: "private"; hostLoopback: boolean }
  | { kind: "container"; ref: string }
  | { kind: "network"; name: string };

export const DEFAULT_NETWORK_MODE = "default";

export function parseNetworkMode(text: string): NetworkMode {
  if (text === "host" || text === "none") return { kind: text };
  if (text === DEFAULT_NETWORK_MODE || text === "private") return { kind: "private", hostLoopback: false };
  if (text === "slirp4netns" || text.startsWith("slirp4netns:")) {
    const opts = text.slice("slirp4netns:".length).split(",").filter(Boolean);
    let hostLoopback = false;
    for (const o of opts) {
      if (/^allow_host_loopback=(true|false)$/.test(o)) hostLoopback = o.endsWith("true");
      else throw new UsageError(`unknown slirp4netns option "${o}"`, { hint: "rr supports allow_host_loopback=true|false." });
    }
    return { kind: "private", hostLoopback };
  }
  if (text.startsWith("container:")) {
    const ref = text.slice("container:".length);
    if (!ref) throw new UsageError(`invalid network "${text}": name the container, as in container:web`);
    return { kind: "container", ref };
  }
  if (text === "pasta" || text.startsWith("pasta:")) {
    throw new UsageError("--network pasta is not supported", { hint: "rr uses slirp4netns for a private network's egress (Debian 12's pasta stalls TCP)." });
  }
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(text)) throw new UsageError(`invalid network name "${text}"`);
  return { kind: "network", name: text };
}

/** How `inspect` shows the mode (HostConfig.NetworkMode). */
export function networkModeName(text: string | undefined): string {
  if (text === undefined) return "host"; // made by an rr from before networks
  return text === DEFAULT_NETWORK_MODE ? "slirp4netns" : text;
}
