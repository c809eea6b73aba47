/**
 * Addressing: the pure rules (ipam.ts) and the records that apply them
 * under the networks lock (network-store.ts), on a scratch store.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { formatCidr, formatIpv4, parseCidr, parseIpv4 } from "../../src/network/cidr.ts";
import { chooseSubnet, checkStaticAddress, defaultPools, nextFreeAddress, parseRouteTable, planAddressing, type Taken } from "../../src/network/ipam.ts";
import {
  allocateEndpoint, createNetwork, DEFAULT_NETWORK, endpointsOf, findNetwork, listNetworks, pruneNetworks, releaseAllEndpoints,
  releaseEndpoint, removeNetwork, renameEndpoints,
} from "../../src/network/network-store.ts";

const scratch = mkdtempSync(join(tmpdir(), "rr-ipam-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let stores = 0;
const newRoot = () => {
  const root = join(scratch, `store-${++stores}`);
  mkdirSync(root);
  return root;
};
/** A container directory, as createContainerRecord makes it before any endpoint is allocated. */
const container = (root: string, n: number) => {
  const id = String(n).padStart(2, "0").repeat(32);
  mkdirSync(join(root, "containers", id), { recursive: true });
  return id;
};

const taken = (pairs: [string, string][] = []): Taken => ({ network: "hadoop", byIp: new Map(pairs.map(([ip, n]) => [parseIpv4(ip)!, n])) });
const plan = (o: { subnet?: string; gateway?: string; ipRange?: string }) => planAddressing({ ...o, reserved: [] });

describe("ipam rules", () => {
  test("the gateway is the first usable address unless --gateway says otherwise", () => {
    expect(formatIpv4(plan({ subnet: "172.18.0.0/16" }).gateway)).toBe("172.18.0.1");
    expect(formatIpv4(plan({ subnet: "172.18.0.0/16", gateway: "172.18.255.254" }).gateway)).toBe("172.18.255.254");
  });

  test("--gateway and --ip-range must lie in the subnet, and need one", () => {
    expect(() => plan({ gateway: "172.18.0.1" })).toThrow("every ip-range or gateway must have a corresponding subnet");
    expect(() => plan({ ipRange: "172.18.5.0/24" })).toThrow("every ip-range or gateway must have a corresponding subnet");
    expect(() => plan({ subnet: "172.18.0.0/16", gateway: "10.0.0.1" })).toThrow("gateway 10.0.0.1 is not in subnet 172.18.0.0/16");
    expect(() => plan({ subnet: "172.18.0.0/16", gateway: "172.18.0.0" })).toThrow("gateway 172.18.0.0 is the network address of subnet 172.18.0.0/16");
    expect(() => plan({ subnet: "172.18.0.0/16", gateway: "172.18.255.255" })).toThrow("is the broadcast address");
    expect(() => plan({ subnet: "172.18.0.0/16", ipRange: "172.19.0.0/24" })).toThrow("ip-range 172.19.0.0/24 is not inside subnet 172.18.0.0/16");
    expect(() => plan({ subnet: "172.18.0.0/16", ipRange: "172.18.0.0/15" })).toThrow("not inside subnet");
    expect(formatCidr(plan({ subnet: "172.18.0.0/16", ipRange: "172.18.5.9/24" }).ipRange!)).toBe("172.18.5.0/24");
  });

  test("a subnet too small, or in loopback or multicast space, is refused", () => {
    expect(() => plan({ subnet: "10.9.0.0/31" })).toThrow("subnet 10.9.0.0/31 is too small");
    expect(() => plan({ subnet: "127.1.0.0/16" })).toThrow("subnet 127.1.0.0/16 overlaps the loopback block 127.0.0.0/8");
    expect(() => plan({ subnet: "239.0.0.0/8" })).toThrow("overlaps the multicast and reserved blocks");
    expect(formatCidr(plan({ subnet: "10.9.0.0/30" }).subnet)).toBe("10.9.0.0/30");
  });

  test("an overlapping subnet names the owner of what it overlaps", () => {
    const reserved = [{ cidr: parseCidr("172.18.0.0/16"), owner: "network hadoop (172.18.0.0/16)" }];
    expect(() => planAddressing({ subnet: "172.18.128.0/17", reserved })).toThrow("subnet 172.18.128.0/17 overlaps with network hadoop (172.18.0.0/16)");
    expect(() => planAddressing({ subnet: "172.0.0.0/8", reserved })).toThrow("overlaps with network hadoop");
    expect(formatCidr(planAddressing({ subnet: "172.19.0.0/16", reserved }).subnet)).toBe("172.19.0.0/16");
  });

  test("without --subnet: the first of Docker's pools that overlaps nothing in use", () => {
    expect(defaultPools()).toHaveLength(30);
    expect(formatCidr(chooseSubnet([]))).toBe("172.18.0.0/16");
    expect(formatCidr(chooseSubnet([parseCidr("172.18.0.0/16"), parseCidr("172.19.3.0/24")]))).toBe("172.20.0.0/16");
    expect(formatCidr(chooseSubnet([parseCidr("172.16.0.0/12")]))).toBe("192.168.0.0/20");
    expect(formatCidr(chooseSubnet([parseCidr("172.16.0.0/12"), parseCidr("192.168.1.0/24")]))).toBe("192.168.16.0/20");
    expect(() => chooseSubnet([parseCidr("172.16.0.0/12"), parseCidr("192.168.0.0/16")])).toThrow("all of rr's default address pools are in use");
  });

  test("the host's routes from /proc/net/route: little-endian, default route left out", () => {
    const table = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n" +
      "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n" +
      "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n" +
      "docker0\t000012AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n";
    expect(parseRouteTable(table).map(formatCidr)).toEqual(["192.0.2.0/24", "172.18.0.0/16"]);
  });

  test("automatic addresses: lowest free, never network, gateway or broadcast; from the ip-range when there is one", () => {
    const a = plan({ subnet: "172.18.0.0/16" });
    expect(formatIpv4(nextFreeAddress(a, taken()))).toBe("172.18.0.2");
    expect(formatIpv4(nextFreeAddress(a, taken([["172.18.0.2", "x"], ["172.18.0.4", "y"]])))).toBe("172.18.0.3");
    const high = plan({ subnet: "172.18.0.0/16", gateway: "172.18.0.9" });
    expect(formatIpv4(nextFreeAddress(high, taken()))).toBe("172.18.0.1");
    const ranged = plan({ subnet: "172.18.0.0/16", ipRange: "172.18.5.0/30" });
    const inRange = [0, 1, 2, 3].map(() => "");
    const t = taken();
    for (const i of inRange.keys()) {
      const ip = nextFreeAddress(ranged, t);
      t.byIp.set(ip, `c${i}`);
      inRange[i] = formatIpv4(ip);
    }
    expect(inRange).toEqual(["172.18.5.0", "172.18.5.1", "172.18.5.2", "172.18.5.3"]);
    expect(() => nextFreeAddress(ranged, t)).toThrow("network hadoop has no free IP addresses left in 172.18.5.0/30");
  });

  test("a full /30: one container fits beside the gateway", () => {
    const a = plan({ subnet: "10.9.0.0/30" });
    expect(formatIpv4(nextFreeAddress(a, taken()))).toBe("10.9.0.2");
    expect(() => nextFreeAddress(a, taken([["10.9.0.2", "only"]]))).toThrow("no free IP addresses left in 10.9.0.0/30");
  });

  test("a static address must be a free host address of the subnet", () => {
    const a = plan({ subnet: "172.18.0.0/16" });
    const t = taken([["172.18.0.2", "hadoop-node1"]]);
    expect(formatIpv4(checkStaticAddress(a, "172.18.0.3", t))).toBe("172.18.0.3");
    expect(() => checkStaticAddress(a, "10.0.0.5", t)).toThrow("IP address 10.0.0.5 is not in network hadoop's subnet 172.18.0.0/16");
    expect(() => checkStaticAddress(a, "172.18.0.2", t)).toThrow("IP address 172.18.0.2 is already in use by container hadoop-node1");
    expect(() => checkStaticAddress(a, "172.18.0.1", t)).toThrow("IP address 172.18.0.1 is the gateway of network hadoop");
    expect(() => checkStaticAddress(a, "172.18.0.0", t)).toThrow("is the network address of network hadoop's subnet");
    expect(() => checkStaticAddress(a, "172.18.255.255", t)).toThrow("is the broadcast address of network hadoop's subnet");
    expect(() => checkStaticAddress(a, "172.18.0.256", t)).toThrow('invalid IP address "172.18.0.256"');
    // outside the ip-range is fine (Docker's way to keep static addresses apart from automatic ones)
    expect(formatIpv4(checkStaticAddress(plan({ subnet: "172.18.0.0/16", ipRange: "172.18.5.0/24" }), "172.18.0.7", t))).toBe("172.18.0.7");
  });
});

describe("network records", () => {
  test("the default network exists from the first use: 172.17.0.0/16, gateway .1, bridge rr-<12 hex>", () => {
    const root = newRoot();
    const all = listNetworks(root);
    expect(all.map((n) => n.name)).toEqual([DEFAULT_NETWORK]);
    expect(all[0]).toMatchObject({ subnet: "172.17.0.0/16", gateway: "172.17.0.1", driver: "bridge", internal: false, endpoints: {} });
    expect(all[0]!.bridge).toBe(`rr-${all[0]!.id.slice(0, 12)}`);
    expect(listNetworks(root)[0]!.id).toBe(all[0]!.id); // made once
    expect(() => removeNetwork(root, "bridge")).toThrow("bridge is a pre-defined network and cannot be removed");
    expect(() => createNetwork(root, { name: "b2", subnet: "172.17.8.0/24", internal: false, labels: {} })).toThrow("overlaps with network bridge (172.17.0.0/16)");
  });

  test("create: record on disk, found by name, id and id prefix; names are unique and checked", () => {
    const root = newRoot();
    const n = createNetwork(root, { name: "hadoop", subnet: "172.18.0.1/16", internal: true, labels: { a: "b" } });
    expect(n).toMatchObject({ name: "hadoop", subnet: "172.18.0.0/16", gateway: "172.18.0.1", internal: true, labels: { a: "b" } });
    expect(n.id).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.parse(readFileSync(join(root, "networks", `${n.id}.json`), "utf8")).name).toBe("hadoop");
    expect(findNetwork(root, "hadoop").id).toBe(n.id);
    expect(findNetwork(root, n.id).name).toBe("hadoop");
    expect(findNetwork(root, n.id.slice(0, 5)).name).toBe("hadoop");
    expect(() => findNetwork(root, "nosuch")).toThrow("network nosuch not found");
    expect(() => createNetwork(root, { name: "hadoop", internal: false, labels: {} })).toThrow("network with name hadoop already exists");
    expect(() => createNetwork(root, { name: "other", subnet: "172.18.3.0/24", internal: false, labels: {} })).toThrow("subnet 172.18.3.0/24 overlaps with network hadoop (172.18.0.0/16)");
    expect(() => createNetwork(root, { name: "egress", subnet: "10.0.0.0/8", internal: false, labels: {} })).toThrow("overlaps with 10.0.2.0/24, which rr's egress (slirp4netns' tap0) uses");
    for (const bad of ["host", "none"]) expect(() => createNetwork(root, { name: bad, internal: false, labels: {} })).toThrow(`network name ${bad} is reserved`);
    expect(() => createNetwork(root, { name: "bridge", internal: false, labels: {} })).toThrow("network with name bridge already exists");
    // the hints: the default network cannot be removed, so it is not suggested
    const hintFor = (name: string) => { try { createNetwork(root, { name, internal: false, labels: {} }); } catch (e) { return (e as { hint?: string }).hint; } };
    expect(hintFor("bridge")).toBe("Choose another name.");
    expect(hintFor("hadoop")).toBe("Remove it first (rr network rm hadoop), or choose another name.");
    expect(() => createNetwork(root, { name: "a b", internal: false, labels: {} })).toThrow('invalid network name "a b"');
    expect(() => createNetwork(root, { name: "container:x", internal: false, labels: {} })).toThrow('invalid network name "container:x"');
    expect(() => createNetwork(root, { name: "-x", internal: false, labels: {} })).toThrow("only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
    const auto = createNetwork(root, { name: "auto", internal: false, labels: {} });
    expect(parseCidr(auto.subnet).prefix === 16 || parseCidr(auto.subnet).prefix === 20).toBe(true);
    expect(auto.subnet).not.toBe("172.18.0.0/16");
    expect(readdirSync(join(root, "networks")).filter((f) => f.startsWith(".tmp"))).toEqual([]);
  });

  test("endpoints: static and automatic addresses, idempotent, released and reused", () => {
    const root = newRoot();
    createNetwork(root, { name: "hadoop", subnet: "172.18.0.0/16", internal: false, labels: {} });
    const [c1, c2, c3] = [1, 2, 3].map((n) => container(root, n)) as [string, string, string];
    const e1 = allocateEndpoint(root, "hadoop", { containerId: c1, containerName: "hadoop-node1", ip: "172.18.0.3", aliases: ["nn"], hostname: "node1" }).endpoint;
    expect(e1).toEqual({ containerId: c1, containerName: "hadoop-node1", ip: "172.18.0.3", mac: "02:42:ac:12:00:03", aliases: ["nn"], hostname: "node1" });
    expect(allocateEndpoint(root, "hadoop", { containerId: c1, containerName: "hadoop-node1", aliases: [] }).endpoint).toEqual(e1);
    expect(allocateEndpoint(root, "hadoop", { containerId: c2, containerName: "hadoop-node2", aliases: [] }).endpoint.ip).toBe("172.18.0.2");
    expect(() => allocateEndpoint(root, "hadoop", { containerId: c3, containerName: "c3", ip: "172.18.0.3", aliases: [] }))
      .toThrow("IP address 172.18.0.3 is already in use by container hadoop-node1");
    expect(() => allocateEndpoint(root, "hadoop", { containerId: c3, containerName: "c3", ip: "10.0.0.5", aliases: [] }))
      .toThrow("IP address 10.0.0.5 is not in network hadoop's subnet 172.18.0.0/16");
    expect(() => allocateEndpoint(root, "hadoop", { containerId: c3, containerName: "c3", aliases: ["bad alias"] })).toThrow('invalid network alias "bad alias"');
    expect(allocateEndpoint(root, "hadoop", { containerId: c3, containerName: "c3", aliases: [] }).endpoint.ip).toBe("172.18.0.4");
    expect(endpointsOf(root, c1).map((x) => x.endpoint.ip)).toEqual(["172.18.0.3"]);

    expect(() => removeNetwork(root, "hadoop")).toThrow("network hadoop is in use by container(s) c3, hadoop-node1, hadoop-node2");
    releaseEndpoint(root, "hadoop", c2);
    releaseEndpoint(root, "hadoop", c2); // twice: nothing to do
    expect(allocateEndpoint(root, "hadoop", { containerId: container(root, 4), containerName: "c4", aliases: [] }).endpoint.ip).toBe("172.18.0.2");

    renameEndpoints(root, c1, "renamed");
    expect(findNetwork(root, "hadoop").endpoints[c1]!.containerName).toBe("renamed");
    expect(releaseAllEndpoints(root, c1).map((n) => n.name)).toEqual(["hadoop"]);
    expect(endpointsOf(root, c1)).toEqual([]);
  });

  test("the default network takes neither static addresses nor aliases, as Docker's", () => {
    const root = newRoot();
    const c = container(root, 1);
    expect(() => allocateEndpoint(root, "bridge", { containerId: c, containerName: "c", ip: "172.17.0.9", aliases: [] })).toThrow("user specified IP address is supported on user defined networks only");
    expect(() => allocateEndpoint(root, "bridge", { containerId: c, containerName: "c", aliases: ["x"] })).toThrow("network-scoped alias is supported only for containers in user defined networks");
    expect(allocateEndpoint(root, "bridge", { containerId: c, containerName: "c", aliases: [] }).endpoint.ip).toBe("172.17.0.2");
  });

  test("an endpoint whose container directory is gone does not hold the network or its address", () => {
    const root = newRoot();
    createNetwork(root, { name: "n", subnet: "10.20.0.0/24", internal: false, labels: {} });
    const gone = container(root, 7);
    allocateEndpoint(root, "n", { containerId: gone, containerName: "ghost", ip: "10.20.0.5", aliases: [] });
    rmSync(join(root, "containers", gone), { recursive: true });
    expect(allocateEndpoint(root, "n", { containerId: container(root, 8), containerName: "new", ip: "10.20.0.5", aliases: [] }).endpoint.ip).toBe("10.20.0.5");
    releaseAllEndpoints(root, "08".repeat(32));
    expect(removeNetwork(root, "n").name).toBe("n");
  });

  test("prune removes unused networks that match, never the default or one in use", () => {
    const root = newRoot();
    createNetwork(root, { name: "used", internal: false, labels: {} });
    createNetwork(root, { name: "idle", internal: false, labels: { keep: "no" } });
    createNetwork(root, { name: "kept", internal: false, labels: { keep: "yes" } });
    allocateEndpoint(root, "used", { containerId: container(root, 1), containerName: "c", aliases: [] });
    expect(pruneNetworks(root, (n) => n.labels.keep !== "yes").map((n) => n.name)).toEqual(["idle"]);
    expect(listNetworks(root).map((n) => n.name).sort()).toEqual(["bridge", "kept", "used"]);
  });

  test("twelve processes creating one name at once: exactly one wins, and the subnets never overlap", async () => {
    const root = newRoot();
    const store = JSON.stringify(join(import.meta.dir, "../../src/network/network-store.ts"));
    const script = join(scratch, "race.ts");
    writeFileSync(script, `
      import { createNetwork } from ${store};
      const [root, name] = process.argv.slice(2);
      try { createNetwork(root, { name, internal: false, labels: {} }); console.log("won"); }
      catch (e) { console.log(String(e.message).includes("already exists") ? "lost" : "error " + e.message); }`);
    const run = (name: string) => Bun.spawn([process.execPath, script, root, name], { stdout: "pipe" });
    const procs = [...Array(12)].map((_, i) => run(i < 8 ? "same" : `other${i}`));
    const out = await Promise.all(procs.map(async (p) => (await new Response(p.stdout).text()).trim()));
    expect(out.slice(0, 8).sort()).toEqual(["lost", "lost", "lost", "lost", "lost", "lost", "lost", "won"]);
    expect(out.slice(8)).toEqual(["won", "won", "won", "won"]);
    const subnets = listNetworks(root).map((n) => n.subnet);
    expect(subnets).toHaveLength(6);
    expect(new Set(subnets).size).toBe(6);
  });
});
