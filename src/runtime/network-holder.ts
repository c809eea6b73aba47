/**
 * The network holder as starts and connects need it. When it has died (kill
 * -9, OOM) while containers on networks still run, their interfaces went
 * with its bridges; the new holder is started in those containers' user
 * namespace (rootless: a veth cannot enter a sibling one) and every survivor
 * is wired again, same addresses, so its peers and published ports work on.
 */
import { closeSync, openSync, readlinkSync } from "node:fs";
import type { Identity } from "./identity.ts";
import { attachedNetworks, wireEndpoints } from "./endpoint-wiring.ts";
import { ensureHolder, runningHolder, type Holder } from "../network/holder.ts";
import { endpointsOf } from "../network/network-store.ts";
import { listContainers, type ContainerRecord } from "../store/container-store.ts";

export async function networkHolder(root: string, identity: Identity, warn: (message: string) => void): Promise<Holder> {
  const running = runningHolder(root, identity);
  if (running) return running;
  const survivors = listContainers(root).filter((c) =>
    (c.state.status === "running" || c.state.status === "paused") && c.state.pid !== undefined && endpointsOf(root, c.id).length > 0);
  const userNs = survivorsUserNs(survivors);
  const holder = await ensureHolder(root, identity, { userNs });
  if (holder.started) for (const rec of survivors) rewire(root, holder, rec, identity, warn);
  return holder;
}

/** The user namespace most survivors share: the dead holder's (a container connected while running may have its own). */
function survivorsUserNs(survivors: ContainerRecord[]): string | undefined {
  const byNs = new Map<string, string>();
  const count = new Map<string, number>();
  for (const c of survivors) {
    try {
      const ns = readlinkSync(`/proc/${c.state.pid}/ns/user`);
      byNs.set(ns, `/proc/${c.state.pid}/ns/user`);
      count.set(ns, (count.get(ns) ?? 0) + 1);
    } catch {} // gone meanwhile
  }
  const [top] = [...count.entries()].sort((a, b) => b[1] - a[1]);
  return top && byNs.get(top[0]);
}

function rewire(root: string, holder: Holder, rec: ContainerRecord, identity: Identity, warn: (message: string) => void): void {
  try {
    const net = openSync(`/proc/${rec.state.pid}/ns/net`, "r");
    try {
      wireEndpoints(holder, net, attachedNetworks(root, rec), rec.id, identity);
    } finally {
      closeSync(net);
    }
  } catch (err) {
    // gone meanwhile, or in a user namespace the new holder is not in: its restart wires it
    warn(`the network of container ${rec.name} could not be restored (${(err as Error).message}): restart it with \`rr restart ${rec.name}\``);
  }
}
