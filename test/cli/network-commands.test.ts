/**
 * `rr network create|ls|inspect|rm|prune|connect|disconnect` through the
 * compiled binary in each identity mode: Docker's output and exit codes,
 * every bad input with its message, concurrent creates of one name, and
 * endpoints of a created (never started) container. No packet is sent.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFixtures, type FixtureFiles } from "../helpers/fixtures.ts";
import { integrationSkipReason, MODES, Sandbox, type Mode } from "../helpers/rr.ts";

const skip = integrationSkipReason();

describe.skipIf(!!skip)(`rr network${skip ? ` — skipped: ${skip}` : ""}`, () => {
  let sb: Sandbox;
  let f: FixtureFiles;
  beforeAll(() => {
    sb = new Sandbox();
    f = writeFixtures(sb);
    for (const mode of MODES) sb.ok(mode, ["load", "-i", f.busybox]);
  });
  afterAll(() => sb?.cleanup());

  /** Runs rr and expects exit 1 with this message (and hint, when given) on stderr. */
  const fails = (mode: Mode, args: string[], message: string) => {
    const r = sb.rr(mode, args);
    expect({ args, code: r.code, stderr: r.stderr.split("\n")[0] }).toEqual({ args, code: 1, stderr: `rr: ${message}` });
    expect(r.stdout).toBe("");
    return r;
  };
  const names = (mode: Mode, ...args: string[]) => sb.ok(mode, ["network", "ls", "--format", "{{.Name}}", ...args]).split("\n").filter(Boolean);

  for (const mode of MODES) {
    describe(mode, () => {
      test("create, ls, inspect, rm: Docker's columns, JSON and filters; the default network is listed and stays", () => {
        const rr = (...args: string[]) => sb.ok(mode, args);
        const fresh = rr("network", "ls").split("\n");
        expect(fresh[0]).toBe("NETWORK ID     NAME      DRIVER    SCOPE");
        expect(fresh.slice(1).filter(Boolean).map((l) => l.split(/\s+/).slice(1).join(" "))).toEqual(["bridge bridge local", "host host local", "none null local"]);
        expect(fresh[1]).toMatch(/^[0-9a-f]{12}   bridge/);

        const id = rr("network", "create", "--subnet=172.18.0.1/16", "--gateway", "172.18.0.254", "--ip-range", "172.18.5.0/24",
          "--label", "env=test", "--label", "flag", "-o", "com.docker.network.driver.mtu=1400", "hadoop").trim();
        expect(id).toMatch(/^[0-9a-f]{64}$/);
        const other = rr("network", "create", "--internal", "other").trim();
        expect(names(mode)).toEqual(["bridge", "hadoop", "host", "none", "other"]);

        const [json] = JSON.parse(rr("network", "inspect", "hadoop"));
        expect(json).toEqual({
          Name: "hadoop", Id: id, Created: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), Scope: "local", Driver: "bridge", EnableIPv6: false,
          IPAM: { Driver: "default", Options: {}, Config: [{ Subnet: "172.18.0.0/16", IPRange: "172.18.5.0/24", Gateway: "172.18.0.254" }] },
          Internal: false, Attachable: false, Ingress: false, ConfigFrom: { Network: "" }, ConfigOnly: false,
          Containers: {}, Options: { "com.docker.network.driver.mtu": "1400" }, Labels: { env: "test", flag: "" },
        });
        expect(rr("network", "inspect", "-f", "{{.Name}} {{.Internal}} {{range .IPAM.Config}}{{.Subnet}}{{end}}", other, id.slice(0, 10)))
          .toMatch(/^other true 172\.\d+\.0\.0\/16\nhadoop false 172\.18\.0\.0\/16\n$/);

        // -q, --no-trunc, filters (name and id match as Docker's: exact or regexp), formats
        expect(rr("network", "ls", "-q", "--filter", "name=hadoop")).toBe(`${id.slice(0, 12)}\n`);
        expect(rr("network", "ls", "-q", "--no-trunc", "--filter", `id=${id.slice(0, 8)}`)).toBe(`${id}\n`);
        expect(names(mode, "--filter", "name=o")).toEqual(["hadoop", "host", "none", "other"]);
        expect(names(mode, "--filter", "name=^h")).toEqual(["hadoop", "host"]);
        expect(names(mode, "--filter", "label=env=test")).toEqual(["hadoop"]);
        expect(names(mode, "--filter", "label=env=prod")).toEqual([]);
        expect(names(mode, "--filter", "driver=null")).toEqual(["none"]);
        expect(names(mode, "--filter", "type=custom")).toEqual(["hadoop", "other"]);
        expect(names(mode, "--filter", "type=builtin")).toEqual(["bridge", "host", "none"]);
        expect(names(mode, "--filter", "dangling=true")).toEqual(["hadoop", "other"]);
        expect(names(mode, "--filter", "type=custom", "--filter", "name=other")).toEqual(["other"]);
        expect(rr("network", "ls", "--filter", "name=hadoop", "--format", "table {{.Name}}\t{{.Label \"env\"}}\t{{.Internal}}"))
          .toBe("NAME      env       INTERNAL\nhadoop    test      false\n"); // the header from the key, as ps does
        expect(JSON.parse(rr("network", "ls", "--filter", "name=other", "--format", "json"))).toMatchObject({ Name: "other", Driver: "bridge", Internal: "true", Scope: "local" });
        expect(rr("network", "list", "-q")).toBe(rr("network", "ls", "-q"));

        // rm: several, one missing — the others still go, exit 1
        const r = sb.rr(mode, ["network", "rm", "other", "nosuch", "hadoop"]);
        expect(r).toEqual({
          code: 1, stdout: "other\nhadoop\n",
          stderr: "rr: network nosuch not found\nList networks with 'rr network ls', or make one with 'rr network create NAME'.\n",
        });
        expect(sb.ok(mode, ["network", "rm", "-f", "nosuch"])).toBe("");
        expect(names(mode)).toEqual(["bridge", "host", "none"]);
        fails(mode, ["network", "rm", "bridge"], "bridge is a pre-defined network and cannot be removed");
        fails(mode, ["network", "rm", "none"], "none is a pre-defined network and cannot be removed");
      });

      test("bad inputs: each refused with exit 1 and a message naming it", () => {
        sb.ok(mode, ["network", "create", "--subnet", "172.18.0.0/16", "hadoop"]);
        fails(mode, ["network", "create", "hadoop"], "network with name hadoop already exists");
        fails(mode, ["network", "create", "--subnet", "172.18.0.0/16", "twin"], "subnet 172.18.0.0/16 overlaps with network hadoop (172.18.0.0/16)");
        fails(mode, ["network", "create", "--subnet", "172.18.9.0/24", "inner"], "subnet 172.18.9.0/24 overlaps with network hadoop (172.18.0.0/16)");
        fails(mode, ["network", "create", "--subnet", "172.17.0.0/24", "dflt"], "subnet 172.17.0.0/24 overlaps with network bridge (172.17.0.0/16)");
        fails(mode, ["network", "create", "--subnet", "10.0.0.0/8", "ten"], "subnet 10.0.0.0/8 overlaps with 10.0.2.0/24, which rr's egress (slirp4netns' tap0) uses in the namespace that holds the network bridges");
        fails(mode, ["network", "create", "--subnet", "172.18.0.0/33", "x"], 'invalid subnet "172.18.0.0/33": use an IPv4 CIDR like 172.18.0.0/16');
        fails(mode, ["network", "create", "--subnet", "bogus", "x"], 'invalid subnet "bogus": use an IPv4 CIDR like 172.18.0.0/16');
        fails(mode, ["network", "create", "--subnet", "fd00::/64", "x"], 'IPv6 subnet "fd00::/64" is not supported: rr networks are IPv4 only');
        fails(mode, ["network", "create", "--subnet", "10.50.0.0/16", "--gateway", "10.51.0.1", "x"], "gateway 10.51.0.1 is not in subnet 10.50.0.0/16");
        fails(mode, ["network", "create", "--subnet", "10.50.0.0/16", "--ip-range", "10.60.0.0/24", "x"], "ip-range 10.60.0.0/24 is not inside subnet 10.50.0.0/16");
        fails(mode, ["network", "create", "--gateway", "10.50.0.1", "x"], "every ip-range or gateway must have a corresponding subnet");
        fails(mode, ["network", "create", "--subnet", "10.50.0.0/16", "--subnet", "10.51.0.0/16", "x"], "--subnet given 2 times: an rr network has one subnet, one gateway and one ip-range");
        fails(mode, ["network", "create", "-d", "overlay", "x"], 'network driver "overlay" is not supported: rr networks use the bridge driver');
        fails(mode, ["network", "create", "-o", "com.docker.network.bridge.name=br0", "x"], 'network option "com.docker.network.bridge.name" is not supported');
        fails(mode, ["network", "create", "-o", "mtu=9", "x"], 'invalid MTU "9": use a number from 68 to 65535');
        fails(mode, ["network", "create", "--ipv6", "x"], "IPv6 networks are not supported: rr networks are IPv4 only");
        fails(mode, ["network", "create", "host"], "network name host is reserved: host and none are predefined networks");
        fails(mode, ["network", "create", "no/slash"], 'invalid network name "no/slash": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed');
        fails(mode, ["network", "create"], '"rr network create" requires exactly 1 argument.');
        fails(mode, ["network", "create", "--bogus", "x"], "unknown flag: --bogus");
        fails(mode, ["network", "ls", "--filter", "colour=red"], "invalid filter 'colour'");
        fails(mode, ["network", "ls", "--filter", "type=mine"], "invalid filter: 'type'='mine'");
        fails(mode, ["network", "frobnicate"], "'frobnicate' is not an rr network command");
        const insp = sb.rr(mode, ["network", "inspect", "-f", "{{.Name}}", "hadoop", "nosuch"]);
        expect(insp).toMatchObject({ code: 1, stdout: "hadoop\n" });
        expect(insp.stderr).toStartWith("rr: network nosuch not found\n");
        expect(names(mode)).toEqual(["bridge", "hadoop", "host", "none"]); // nothing half-made
        sb.ok(mode, ["network", "rm", "hadoop"]);
      });

      test("twelve concurrent creates of one name: exactly one wins, the rest exit 1 saying it exists", async () => {
        const procs = [...Array(12)].map(() => {
          const { argv, env } = sb.command(mode, ["network", "create", "race"]);
          return Bun.spawn(argv, { env, stdout: "pipe", stderr: "pipe" });
        });
        const results = await Promise.all(procs.map(async (p) => ({ code: await p.exited, stderr: await new Response(p.stderr).text() })));
        expect(results.filter((r) => r.code === 0)).toHaveLength(1);
        for (const r of results.filter((x) => x.code !== 0)) expect(r).toEqual({ code: 1, stderr: expect.stringContaining("rr: network with name race already exists") });
        expect(names(mode).filter((n) => n === "race")).toHaveLength(1);
        sb.ok(mode, ["network", "rm", "race"]);
      });

      test("connect and disconnect a created container; rm and prune refused or skipped while it is attached", () => {
        const rr = (...args: string[]) => sb.ok(mode, args);
        rr("network", "create", "--subnet", "172.18.0.0/16", "hadoop");
        rr("network", "create", "--label", "tier=tmp", "idle1");
        rr("network", "create", "idle2");
        rr("create", "--name", "hadoop-node1", "busybox", "true");
        rr("create", "--name", "hadoop-node2", "busybox", "true");
        expect(rr("network", "connect", "--ip", "172.18.0.3", "--alias", "nn", "hadoop", "hadoop-node1")).toBe("");
        // network inspect lists running containers only, as Docker: the created one's endpoint shows on the container
        expect(JSON.parse(rr("network", "inspect", "-f", "{{json .Containers}}", "hadoop"))).toEqual({});
        const endpoint = (ctr: string) => rr("inspect", "-f", "{{with .NetworkSettings.Networks.hadoop}}{{.IPAddress}} {{.MacAddress}} {{.Aliases}}{{end}}", ctr).trim();
        expect(endpoint("hadoop-node1")).toBe("172.18.0.3 02:42:ac:12:00:03 [nn]");
        const attached = () => rr("ps", "-a", "--filter", "network=hadoop", "--format", "{{.Names}}").split("\n").filter(Boolean).sort();
        expect(attached()).toEqual(["hadoop-node1"]);
        expect(names(mode, "--filter", "dangling=true")).toEqual(["idle1", "idle2"]);

        fails(mode, ["network", "connect", "hadoop", "hadoop-node1"], "endpoint with name hadoop-node1 already exists in network hadoop");
        fails(mode, ["network", "connect", "--ip", "172.18.0.3", "hadoop", "hadoop-node2"], "IP address 172.18.0.3 is already in use by container hadoop-node1");
        fails(mode, ["network", "connect", "--ip", "10.0.0.5", "hadoop", "hadoop-node2"], "IP address 10.0.0.5 is not in network hadoop's subnet 172.18.0.0/16");
        fails(mode, ["network", "connect", "--ip", "172.18.0.1", "hadoop", "hadoop-node2"], "IP address 172.18.0.1 is the gateway of network hadoop");
        fails(mode, ["network", "connect", "nosuch", "hadoop-node2"], "network nosuch not found");
        fails(mode, ["network", "connect", "hadoop", "nosuch"], "No such container: nosuch");
        fails(mode, ["network", "connect", "host", "hadoop-node2"], "container cannot be disconnected from host network or connected to host network");
        fails(mode, ["network", "connect", "hadoop"], '"rr network connect" requires exactly 2 arguments.');
        rr("create", "--name", "on-host", "--network", "host", "busybox", "true");
        fails(mode, ["network", "connect", "hadoop", "on-host"], "container cannot be disconnected from host network or connected to host network");
        rr("network", "connect", "hadoop", "hadoop-node2"); // the next free address
        expect(attached()).toEqual(["hadoop-node1", "hadoop-node2"]);
        expect(endpoint("hadoop-node2")).toStartWith("172.18.0.2 02:42:ac:12:00:02 ");

        fails(mode, ["network", "rm", "hadoop"], "network hadoop is in use by container(s) hadoop-node1, hadoop-node2");
        expect(rr("network", "prune", "-f", "--filter", "label=tier=tmp")).toBe("Deleted Networks:\nidle1\n\n");
        expect(rr("network", "prune", "-f")).toBe("Deleted Networks:\nidle2\n\n");
        expect(rr("network", "prune", "-f")).toBe("");
        expect(names(mode)).toEqual(["bridge", "hadoop", "host", "none"]);

        expect(rr("network", "disconnect", "hadoop", "hadoop-node1")).toBe("");
        expect(attached()).toEqual(["hadoop-node2"]);
        fails(mode, ["network", "disconnect", "hadoop", "hadoop-node1"], "container hadoop-node1 is not connected to network hadoop");
        expect(rr("network", "disconnect", "-f", "hadoop", "hadoop-node1")).toBe("");
        // the released address is free again
        rr("network", "connect", "--ip", "172.18.0.3", "hadoop", "hadoop-node1");

        // removing the containers frees the network
        rr("rm", "hadoop-node1", "hadoop-node2", "on-host");
        expect(rr("network", "rm", "hadoop")).toBe("hadoop\n");
      });
    });
  }
});
