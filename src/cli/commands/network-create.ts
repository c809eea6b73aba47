/**
 * `rr network create [--subnet CIDR] [--gateway IP] [--ip-range CIDR]
 * [--internal] [--label K=V] [-d bridge] [-o com.docker.network.driver.mtu=N] NAME`:
 * prints the new network's id, as Docker.
 */
import type { Command } from "../command.ts";
import { bool, list, parseArgs, str } from "../args.ts";
import { UsageError } from "../../errors.ts";
import { createNetwork } from "../../network/network-store.ts";
import { openCliStore } from "../open-store.ts";

const USAGE = "Usage:  rr network create [OPTIONS] NETWORK";
const MTU = "com.docker.network.driver.mtu";

const command: Command = {
  summary: "Create a network",
  usage: `${USAGE}

Create a network

Options:
      --attachable          Accepted for compatibility: any container can be connected to an rr network
  -d, --driver string       Driver to manage the Network (only "bridge") (default "bridge")
      --gateway string      IPv4 Gateway for the master subnet (default: the first address)
      --internal            Restrict external access to the network
      --ip-range string     Allocate container ip from a sub-range
      --label list          Set metadata on a network
  -o, --opt map             Set driver specific options (com.docker.network.driver.mtu=N)
      --subnet string       Subnet in CIDR format that represents a network segment`,
  async run(argv, ctx) {
    const { options: o, positionals } = parseArgs(argv, [
      { name: "subnet", value: true, multiple: true }, { name: "gateway", value: true, multiple: true },
      { name: "ip-range", value: true, multiple: true }, { name: "internal" }, { name: "label", value: true, multiple: true },
      { name: "driver", short: "d", value: true }, { name: "opt", short: "o", value: true, multiple: true },
      { name: "attachable" }, { name: "ipv6" }, { name: "ipam-driver", value: true },
      { name: "ipam-opt", value: true, multiple: true }, { name: "aux-address", value: true, multiple: true },
    ], { command: "network create" });
    if (positionals.length !== 1) throw new UsageError(`"rr network create" requires exactly 1 argument.`, { hint: USAGE });
    const driver = str(o, "driver") ?? "bridge";
    if (driver !== "bridge") throw new UsageError(`network driver "${driver}" is not supported: rr networks use the bridge driver`);
    if (bool(o, "ipv6")) throw new UsageError("IPv6 networks are not supported: rr networks are IPv4 only");
    const ipam = str(o, "ipam-driver");
    if (ipam !== undefined && ipam !== "default") throw new UsageError(`IPAM driver "${ipam}" is not supported: rr has only the default one`);
    if (list(o, "ipam-opt").length) throw new UsageError("--ipam-opt is not supported: the default IPAM driver takes no options");
    if (list(o, "aux-address").length) throw new UsageError("--aux-address is not supported yet");
    const { store } = await openCliStore(ctx);
    const rec = createNetwork(store.root, {
      name: positionals[0]!,
      subnet: single(o, "subnet"), gateway: single(o, "gateway"), ipRange: single(o, "ip-range"),
      internal: bool(o, "internal"), labels: parseLabels(list(o, "label")), options: parseDriverOptions(list(o, "opt")),
    });
    ctx.out(rec.id);
    return 0;
  },
};

/** rr networks have one subnet (Docker's several-subnet networks are not supported). */
function single(o: Record<string, string | boolean | string[]>, name: string): string | undefined {
  const values = list(o, name);
  if (values.length > 1) throw new UsageError(`--${name} given ${values.length} times: an rr network has one subnet, one gateway and one ip-range`);
  return values[0];
}

/** `k=v`, or `k` for an empty value, as Docker's --label. */
function parseLabels(values: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf("=");
    const key = eq < 0 ? v : v.slice(0, eq);
    if (!key) throw new UsageError(`invalid label "${v}": use KEY=VALUE`);
    labels[key] = eq < 0 ? "" : v.slice(eq + 1);
  }
  return labels;
}

/** Driver options: the MTU only (also spelt `mtu=`, as Podman); anything else is refused by name. */
function parseDriverOptions(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf("=");
    const key = eq < 0 ? v : v.slice(0, eq);
    const value = eq < 0 ? "" : v.slice(eq + 1);
    if (key !== MTU && key !== "mtu") {
      throw new UsageError(`network option "${key}" is not supported`, { hint: `rr accepts -o ${MTU}=N only.` });
    }
    const mtu = Number(value);
    if (!/^\d+$/.test(value) || mtu < 68 || mtu > 65535) throw new UsageError(`invalid MTU "${value}": use a number from 68 to 65535`);
    out[MTU] = String(mtu);
  }
  return out;
}

export default command;
