/**
 * `rr network disconnect [-f] NETWORK CONTAINER`: frees the container's
 * address on the network; a running container loses its interface now.
 * -f also clears the endpoint of a container that no longer exists.
 */
import type { Command } from "../command.ts";
import { bool, parseArgs } from "../args.ts";
import { ConflictError, describeError, NotFoundError, UsageError } from "../../errors.ts";
import { findNetwork, releaseEndpoint, type NetworkRecord } from "../../network/network-store.ts";
import { disconnectRunning } from "../../runtime/network-live.ts";
import { networkHolder } from "../../runtime/network-holder.ts";
import { refreshNetworkHosts } from "../../runtime/network-membership.ts";
import { findContainer, readContainer, withContainerLock } from "../../store/container-store.ts";
import { openCliStore } from "../open-store.ts";

const USAGE = "Usage:  rr network disconnect [OPTIONS] NETWORK CONTAINER";

const command: Command = {
  summary: "Disconnect a container from a network",
  usage: `${USAGE}

Disconnect a container from a network

Options:
  -f, --force   Force the container to disconnect from a network`,
  async run(argv, ctx) {
    const { options, positionals } = parseArgs(argv, [{ name: "force", short: "f" }], { command: "network disconnect" });
    if (positionals.length !== 2) throw new UsageError(`"rr network disconnect" requires exactly 2 arguments.`, { hint: USAGE });
    const [netRef, ctrRef] = positionals as [string, string];
    const force = bool(options, "force");
    const { store, identity } = await openCliStore(ctx);
    const root = store.root;
    if (netRef === "host" || netRef === "none") {
      throw new ConflictError(`a container cannot be disconnected from the ${netRef} network: it is the container's network mode`, {
        hint: "Remove the container and run it again with another --network.",
      });
    }
    const network = findNetwork(root, netRef);
    let id: string;
    try {
      id = findContainer(root, ctrRef).id;
    } catch (err) {
      if (!(err instanceof NotFoundError) || !force) throw err;
      return forgetGone(root, network, ctrRef);
    }
    await withContainerLock(root, id, async () => {
      const rec = readContainer(root, id);
      const current = findNetwork(root, network.id);
      if (!current.endpoints[rec.id]) {
        if (force) return;
        throw new ConflictError(`container ${rec.name} is not connected to network ${current.name}`);
      }
      if (rec.state.status === "running" || rec.state.status === "paused") {
        try {
          disconnectRunning(await networkHolder(root, identity, (m) => ctx.warn(m)), rec, current);
        } catch (err) {
          if (!force) throw err;
          ctx.warn(`could not remove ${rec.name}'s interface on ${current.name}: ${describeError(err).message}`);
        }
      }
      releaseEndpoint(root, current.id, rec.id);
      refreshNetworkHosts(root, [current.id], rec.id);
    });
    return 0;
  },
};

/** -f for a container that is gone: its endpoint by name, else by unique id prefix. */
function forgetGone(root: string, network: NetworkRecord, ref: string): number {
  const all = Object.values(network.endpoints);
  const byPrefix = /^[0-9a-f]+$/.test(ref) ? all.filter((x) => x.containerId.startsWith(ref)) : [];
  const e = all.find((x) => x.containerName === ref) ?? (byPrefix.length === 1 ? byPrefix[0] : undefined);
  if (!e) throw new NotFoundError(`No such container: ${ref}`);
  releaseEndpoint(root, network.id, e.containerId);
  refreshNetworkHosts(root, [network.id]);
  return 0;
}

export default command;
