/**
 * `rr network connect [--ip IP] [--alias A]… NETWORK CONTAINER`: reserves the
 * container's address on the network; a running container also gets its
 * interface now (runtime/network-live.ts), a stopped one at its next start.
 * Peers' /etc/hosts learn the new name either way.
 */
import type { Command } from "../command.ts";
import { list, parseArgs, str } from "../args.ts";
import { ConflictError, UsageError } from "../../errors.ts";
import { allocateEndpoint, findNetwork, releaseEndpoint } from "../../network/network-store.ts";
import { parseNetworkMode } from "../../runtime/network-mode.ts";
import { connectRunning } from "../../runtime/network-live.ts";
import { networkHolder } from "../../runtime/network-holder.ts";
import { refreshNetworkHosts } from "../../runtime/network-membership.ts";
import { containerHostname } from "../../runtime/container-hosts.ts";
import { storedRequest } from "../../runtime/container-prepare.ts";
import { findContainer, readContainer, withContainerLock, type ContainerRecord } from "../../store/container-store.ts";
import { openCliStore } from "../open-store.ts";

const USAGE = "Usage:  rr network connect [OPTIONS] NETWORK CONTAINER";

const command: Command = {
  summary: "Connect a container to a network",
  usage: `${USAGE}

Connect a container to a network

Options:
      --alias strings   Add network-scoped alias for the container
      --ip string       IPv4 address (e.g., "172.30.100.104")`,
  async run(argv, ctx) {
    const { options, positionals } = parseArgs(argv, [
      { name: "ip", value: true }, { name: "alias", value: true, multiple: true },
    ], { command: "network connect" });
    if (positionals.length !== 2) throw new UsageError(`"rr network connect" requires exactly 2 arguments.`, { hint: USAGE });
    const [netRef, ctrRef] = positionals as [string, string];
    const { store, identity } = await openCliStore(ctx);
    const root = store.root;
    if (netRef === "host" || netRef === "none") refuseMode(netRef);
    const network = findNetwork(root, netRef);
    const { id } = findContainer(root, ctrRef);
    await withContainerLock(root, id, async () => {
      const rec = readContainer(root, id);
      checkMode(rec);
      if (findNetwork(root, network.id).endpoints[rec.id]) {
        throw new ConflictError(`endpoint with name ${rec.name} already exists in network ${network.name}`);
      }
      const running = rec.state.status === "running" || rec.state.status === "paused";
      const holder = running ? await networkHolder(root, identity, (m) => ctx.warn(m)) : undefined;
      const attached = allocateEndpoint(root, network.id, {
        containerId: rec.id, containerName: rec.name, ip: str(options, "ip"), aliases: list(options, "alias"),
        hostname: containerHostname(rec, storedRequest(rec)),
      });
      if (holder) {
        try {
          connectRunning(root, identity, holder, rec, attached.network, attached.endpoint);
        } catch (err) {
          releaseEndpoint(root, network.id, rec.id);
          throw err;
        }
      } else {
        refreshNetworkHosts(root, [network.id]);
      }
    });
    return 0;
  },
};

/** Docker's refusals for containers whose network mode is not a private namespace of their own. */
function checkMode(rec: ContainerRecord): void {
  const text = (rec.request as { network?: string } | undefined)?.network ?? "host";
  const mode = parseNetworkMode(text);
  if (mode.kind === "host") refuseMode("host");
  if (mode.kind === "none") refuseMode("none");
  if (mode.kind === "container") {
    throw new ConflictError("container sharing network namespace with another container or host cannot be connected to any other network", {
      hint: `${rec.name} runs with --network ${text}: connect the container whose network it shares.`,
    });
  }
}

function refuseMode(mode: "host" | "none"): never {
  if (mode === "host") throw new ConflictError("container cannot be disconnected from host network or connected to host network");
  throw new ConflictError("container cannot be connected to multiple networks with one of the networks in private (none) mode");
}

export default command;
