/**
 * `rr ps` and `rr network inspect` against the network store: the Networks
 * column and `network=` over every network a container is on (its start
 * network and `rr network connect`, running or stopped), `publish=` and
 * `expose=` over the ports a running container shows, and network inspect
 * listing running containers only, with the EndpointID `rr inspect` shows.
 * A unit test on a scratch store first, then the compiled binary in each
 * identity mode. No packet is sent: ports are bound on 127.0.0.1 only.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { containerNetworkNames } from "../../src/cli/container-row.ts";
import { allocateEndpoint, createNetwork, endpointsOf } from "../../src/network/network-store.ts";
import { createContainerRecord, newContainerId, type ContainerRecord } from "../../src/store/container-store.ts";
import { writeFixtures } from "../helpers/fixtures.ts";
import { integrationSkipReason, MODES, Sandbox, type Mode } from "../helpers/rr.ts";

describe("containerNetworkNames()", () => {
  let root = "";
  beforeAll(() => { root = mkdtempSync(join(tmpdir(), "rr-ps-networks-")); });
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const make = (name: string, network: string): ContainerRecord => createContainerRecord(root, {
    id: newContainerId(), name, image: "busybox", imageId: "sha256:" + "b".repeat(64), created: new Date().toISOString(),
    command: ["true"], autoRemove: false, labels: {}, state: { status: "created" }, request: { network, mounts: [] },
  });
  const names = (c: ContainerRecord) => containerNetworkNames(c, endpointsOf(root, c.id));
  const attach = (network: string, c: ContainerRecord) => allocateEndpoint(root, network, { containerId: c.id, containerName: c.name, aliases: [] });

  test("every network the container has an address on, by name, plus a mode that is not an rr network", () => {
    createNetwork(root, { name: "zeta", internal: false, labels: {} });
    createNetwork(root, { name: "alpha", internal: false, labels: {} });
    const onZeta = make("on-zeta", "zeta");
    attach("zeta", onZeta);
    attach("alpha", onZeta);
    expect(names(onZeta)).toEqual(["alpha", "zeta"]);
    const loner = make("loner", "default");
    expect(names(loner)).toEqual(["slirp4netns"]);
    attach("zeta", loner);
    expect(names(loner)).toEqual(["slirp4netns", "zeta"]);
    expect(names(make("on-host", "host"))).toEqual(["host"]);
    expect(names(make("sharer", "container:loner"))).toEqual(["container:loner"]);
    expect(names(make("left", "alpha"))).toEqual([]); // never attached (or disconnected): none, as Docker
  });
});

const skip = integrationSkipReason();

describe.skipIf(!!skip).each(MODES)(`ps and network inspect over attached networks (%s)${skip ? ` — skipped: ${skip}` : ""}`, (mode: Mode) => {
  let sb: Sandbox;
  const rr = (...args: string[]) => sb.rr(mode, args);
  const ok = (...args: string[]) => sb.ok(mode, args);
  const lines = (text: string) => text.split("\n").filter(Boolean);
  const names = (...filters: string[]) => lines(ok("ps", "-a", "--format", "{{.Names}}", ...filters.flatMap((f) => ["--filter", f]))).sort();
  const networksColumn = () => Object.fromEntries(lines(ok("ps", "-a", "--format", "{{.Names}} {{.Networks}}")).map((l) => l.split(" ")));
  const members = (net: string) => JSON.parse(ok("network", "inspect", "-f", "{{json .Containers}}", net)) as Record<string, { Name: string; EndpointID: string }>;
  const netId = (net: string) => ok("network", "inspect", "-f", "{{.Id}}", net).trim();
  let hostPort = 0;

  beforeAll(() => {
    sb = new Sandbox();
    ok("load", "-i", writeFixtures(sb).busybox);
    ok("network", "create", "alpha");
    ok("network", "create", "beta");
    // web: started on alpha with a published and an exposed port, then connected to beta while it runs
    ok("run", "-d", "--name", "web", "--net", "alpha", "-p", "127.0.0.1::80", "--expose", "443", "busybox", "sleep", "600");
    ok("network", "connect", "beta", "web");
    hostPort = Number(ok("port", "web", "80").trim().split(":").pop());
    // idle: created on beta, never started, connected to alpha while stopped
    ok("create", "--name", "idle", "--net", "beta", "busybox", "true");
    ok("network", "connect", "alpha", "idle");
    // left: created on alpha, then disconnected from it
    ok("create", "--name", "left", "--net", "alpha", "busybox", "true");
    ok("network", "disconnect", "alpha", "left");
    ok("run", "--name", "on-host", "--network", "host", "busybox", "true");
    ok("create", "--name", "loner", "busybox", "true");
  });
  afterAll(() => {
    const ids = sb ? lines(rr("ps", "-aq").stdout) : [];
    if (ids.length) rr("rm", "-f", ...ids);
    sb?.cleanup();
  });

  test("{{.Networks}}: every attached network, comma-separated by name; the mode for host and default", () => {
    expect(networksColumn()).toEqual({ web: "alpha,beta", idle: "alpha,beta", left: "", "on-host": "host", loner: "slirp4netns" });
    expect(JSON.parse(lines(ok("ps", "--format", "json"))[0]!)).toMatchObject({ Names: "web", Networks: "alpha,beta" });
    // rr inspect names the same networks (a container disconnected from all: none)
    for (const [name, column] of Object.entries(networksColumn()) as [string, string][]) {
      expect(ok("inspect", "-f", '{{range $n, $s := .NetworkSettings.Networks}}{{$n}},{{end}}', name).trim().replace(/,$/, "")).toBe(column);
    }
  });

  test("network=: any attached network, running or stopped, by name or network id (whole or a prefix)", () => {
    expect(names("network=beta")).toEqual(["idle", "web"]);
    expect(names("network=alpha")).toEqual(["idle", "web"]);
    expect(names(`network=${netId("beta")}`)).toEqual(["idle", "web"]);
    expect(names(`network=${netId("alpha").slice(0, 12)}`)).toEqual(["idle", "web"]);
    expect(names("network=alph")).toEqual([]); // a name matches whole
    expect(names("network=host")).toEqual(["on-host"]);
    const hostId = ok("network", "ls", "-q", "--no-trunc", "--filter", "name=^host$").trim();
    expect(names(`network=${hostId}`)).toEqual(["on-host"]);
    expect(names("network=slirp4netns")).toEqual(["loner"]); // the mode's name, as inspect's Networks key
    expect(lines(ok("ps", "--format", "{{.Names}}", "--filter", "network=beta"))).toEqual(["web"]); // no -a: running only
  });

  test("publish= matches the host port, expose= the container port, of running containers; bad values exit 1", () => {
    expect(names(`publish=${hostPort}`)).toEqual(["web"]);
    expect(names(`publish=${hostPort}/tcp`)).toEqual(["web"]);
    expect(names(`publish=${hostPort - 1}-${hostPort + 1}`)).toEqual(["web"]);
    expect(names(`publish=${hostPort}/udp`)).toEqual([]);
    expect(names("publish=80")).toEqual([]);
    expect(names("expose=80")).toEqual(["web"]);
    expect(names("expose=443")).toEqual(["web"]);
    expect(names("expose=440-450/tcp")).toEqual(["web"]);
    expect(names("expose=443/udp")).toEqual([]);
    expect(names("expose=80", "network=beta")).toEqual(["web"]);
    expect(rr("ps", "--filter", "publish=8080:80")).toEqual({ code: 1, stdout: "", stderr: "rr: filter for 'publish' should not contain ':': 8080:80\n" });
    expect(rr("ps", "--filter", "expose=web")).toEqual({ code: 1, stdout: "", stderr: "rr: invalid filter 'expose=web': expected PORT[/PROTO] or START-END[/PROTO]\n" });
  });

  test("network inspect: running containers only, each with the EndpointID rr inspect shows", () => {
    for (const net of ["alpha", "beta"]) {
      const shown = members(net);
      expect(Object.values(shown).map((m) => m.Name)).toEqual(["web"]);
      const [id, member] = Object.entries(shown)[0]!;
      expect(id).toBe(ok("inspect", "-f", "{{.Id}}", "web").trim());
      expect(member.EndpointID).toBe(ok("inspect", "-f", `{{.NetworkSettings.Networks.${net}.EndpointID}}`, "web").trim());
      expect(member.EndpointID).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  test("stopped: gone from network inspect and from publish=, still on its networks for ps", () => {
    ok("stop", "-t", "1", "web");
    expect(members("alpha")).toEqual({});
    expect(members("beta")).toEqual({});
    expect(names(`publish=${hostPort}`)).toEqual([]);
    expect(names("expose=443")).toEqual([]);
    expect(names("network=beta")).toEqual(["idle", "web"]);
    expect(networksColumn().web).toBe("alpha,beta");
  });
});
