/**
 * Networks end to end through the compiled binary in each identity mode: the
 * seed's three-node cluster (issue 6), the --network modes, egress through
 * slirp4netns to a server the test runs on the host's 127.0.0.1, names in
 * /etc/hosts as containers come and go, and isolation between networks.
 * Traffic goes only to 127.0.0.1 from the host, or between containers from
 * inside them (`rr exec … nc/ping`).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { integrationSkipReason, MODES, Sandbox, type Mode } from "../helpers/rr.ts";
import { writeFixtures } from "../helpers/fixtures.ts";
import { freePort, hostGet, httpdLine, ncGet, pings, until } from "../helpers/net-util.ts";
import { HOST_SERVER_REPLY, startHostServer, type HostServer } from "../helpers/net-host-server.ts";

const skip = integrationSkipReason();

/** Interface names in `ip -o link` output ("eth0@if12" → "eth0"). */
const linkNames = (out: string) => out.split("\n").filter(Boolean).map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1] ?? l).sort();

describe.skipIf(!!skip).each(MODES)(`networks end to end (%s)${skip ? ` — skipped: ${skip}` : ""}`, (mode: Mode) => {
  let sb: Sandbox;
  let server: HostServer;
  const rr = (args: string[], opts: Parameters<Sandbox["rr"]>[2] = {}) => sb.rr(mode, args, opts);
  const ok = (args: string[], opts: Parameters<Sandbox["rr"]>[2] = {}) => sb.ok(mode, args, opts);
  const inspect = (ctr: string, format: string) => ok(["inspect", "-f", format, ctr]).trim();
  /** The /etc/hosts line of `ctr` that lists `name` (a whole word), if any. */
  const hostsLine = (ctr: string, name: string) =>
    ok(["exec", ctr, "cat", "/etc/hosts"]).split("\n").find((l) => !l.startsWith("#") && l.trim().split(/\s+/).slice(1).includes(name));
  /** `rr CTR… nc 10.0.2.2 PORT` in `box`: TCP from inside a container to the test's host server (stdout is its line when reached). */
  const reachHost = (ctr: string[], opts: Parameters<Sandbox["rr"]>[2] = {}, box = sb) =>
    box.rr(mode, [...ctr, "nc", "-w", "2", "10.0.2.2", String(server.port)], opts);
  const removeAll = (box: Sandbox, env: Record<string, string> = {}) => {
    const ids = box.rr(mode, ["ps", "-aq"], { env }).stdout.split("\n").filter(Boolean);
    if (ids.length) box.rr(mode, ["rm", "-f", ...ids], { env });
  };
  const extraSandboxes: { box: Sandbox; env: Record<string, string> }[] = [];

  beforeAll(async () => {
    sb = new Sandbox();
    sb.ok(mode, ["load", "-i", writeFixtures(sb).busybox]);
    server = await startHostServer();
  });
  afterAll(() => {
    server?.stop();
    for (const { box, env } of [...extraSandboxes, ...(sb ? [{ box: sb, env: {} }] : [])]) {
      removeAll(box, env);
      box.cleanup();
    }
  });

  test("the seed's three-node cluster: static addresses, names, published ports, stop/start, kill -9, network rm", async () => {
    expect(ok(["network", "create", "--subnet=172.18.0.0/16", "hadoop"]).trim()).toMatch(/^[0-9a-f]{64}$/);
    const fixed = freePort();
    const ip = (n: number) => `172.18.0.${n + 1}`;
    for (const n of [1, 2, 3]) {
      const addHosts = [1, 2, 3].filter((m) => m !== n).flatMap((m) => ["--add-host", `hadoop-node${m}:${ip(m)}`]);
      const ports = n === 1 ? ["-p", "127.0.0.1:0:50070", "-p", `127.0.0.1:${fixed}:8088`, "-p", "127.0.0.1::19888"] : [];
      const serve = n === 1 ? `mkdir -p /www && echo hadoop-node1 > /www/index.html && httpd -p 8088 -h /www && httpd -p 19888 -h /www && exec httpd -f -p 50070 -h /www` : httpdLine(`hadoop-node${n}`);
      ok(["run", "-d", "--name", `hadoop-node${n}`, "--hostname", `hadoop-node${n}`, "--net", "hadoop", "--ip", ip(n), ...addHosts,
        "--restart=always", "--privileged", ...ports, "busybox", "sh", "-c", serve]);
    }
    expect(inspect("hadoop-node1", "{{.NetworkSettings.Networks.hadoop.IPAddress}} {{.NetworkSettings.Networks.hadoop.Gateway}} {{.NetworkSettings.Networks.hadoop.IPPrefixLen}}"))
      .toBe("172.18.0.2 172.18.0.1 16");
    expect(ok(["exec", "hadoop-node1", "hostname"])).toBe("hadoop-node1\n");
    expect(ok(["exec", "hadoop-node1", "ip", "-o", "-4", "addr", "show", "eth0"])).toContain("inet 172.18.0.2/16");

    // rr port lists every published port; the host reaches node1 on each through 127.0.0.1
    const portLines = ok(["port", "hadoop-node1"]).split("\n").filter(Boolean).sort();
    expect(portLines).toHaveLength(3);
    expect(portLines[0]).toMatch(/^19888\/tcp -> 127\.0\.0\.1:\d+$/);
    expect(portLines[1]).toMatch(/^50070\/tcp -> 127\.0\.0\.1:\d+$/);
    expect(portLines[2]).toBe(`8088/tcp -> 127.0.0.1:${fixed}`);
    const published = () => ok(["port", "hadoop-node1"]).split("\n").filter(Boolean).map((l) => Number(l.split(":").pop()));
    for (const port of published()) await until(async () => (await hostGet(port)) === "hadoop-node1\n", 5000, `127.0.0.1:${port}`);
    expect(ok(["port", "hadoop-node1", "8088"])).toBe(`127.0.0.1:${fixed}\n`);

    // node1 reaches node2 and node3 by name over TCP, and they reach node1 by name
    await until(() => ncGet(sb, mode, "hadoop-node1", "hadoop-node3").body === "hadoop-node3\n", 5000, "node3's httpd");
    expect(ncGet(sb, mode, "hadoop-node1", "hadoop-node2").body).toBe("hadoop-node2\n");
    expect(ncGet(sb, mode, "hadoop-node3", "hadoop-node1", 50070).body).toBe("hadoop-node1\n");
    expect(hostsLine("hadoop-node1", "hadoop-node2")?.split(/\s+/)[0]).toBe("172.18.0.3");

    // node2 stopped and started keeps its address and MAC, and is reachable by name again
    const addrOf = (node: string) => inspect(node, "{{.NetworkSettings.Networks.hadoop.IPAddress}} {{.NetworkSettings.Networks.hadoop.MacAddress}}");
    const before = addrOf("hadoop-node2");
    expect(before).toMatch(/^172\.18\.0\.3 ([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    ok(["stop", "-t", "1", "hadoop-node2"]);
    expect(ncGet(sb, mode, "hadoop-node1", "hadoop-node2", 80, "/index.html", 1).body).toBe("");
    ok(["start", "hadoop-node2"]);
    expect(addrOf("hadoop-node2")).toBe(before);
    expect(ok(["exec", "hadoop-node2", "cat", "/sys/class/net/eth0/address"]).trim()).toBe(before.split(" ")[1]);
    await until(() => ncGet(sb, mode, "hadoop-node1", "hadoop-node2").body === "hadoop-node2\n", 5000, "node2 after start");

    // kill -9 of node1's process: --restart=always brings it back with working ports
    const pid = Number(inspect("hadoop-node1", "{{.State.Pid}}"));
    expect(pid).toBeGreaterThan(1);
    process.kill(pid, "SIGKILL");
    await until(() => {
      const [status, newPid] = inspect("hadoop-node1", "{{.State.Status}} {{.State.Pid}}").split(" ");
      return status === "running" && Number(newPid) !== pid && Number(newPid) > 0;
    }, 10_000, "node1 to restart");
    expect(Number(inspect("hadoop-node1", "{{.RestartCount}}"))).toBeGreaterThanOrEqual(1);
    expect(addrOf("hadoop-node1")).toMatch(/^172\.18\.0\.2 /);
    expect(published()).toContain(fixed);
    for (const port of published()) await until(async () => (await hostGet(port)) === "hadoop-node1\n", 5000, `127.0.0.1:${port} after the restart`);
    expect(ncGet(sb, mode, "hadoop-node1", "hadoop-node3").body).toBe("hadoop-node3\n");

    // network rm is refused while nodes exist, and works after they are removed
    const refused = rr(["network", "rm", "hadoop"]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe("");
    for (const n of [1, 2, 3]) expect(refused.stderr).toContain(`hadoop-node${n}`);
    expect(ok(["rm", "-f", "hadoop-node1", "hadoop-node2", "hadoop-node3"])).toBe("hadoop-node1\nhadoop-node2\nhadoop-node3\n");
    expect(ok(["network", "rm", "hadoop"])).toBe("hadoop\n");
  });

  test("--network none, host and container:NAME", () => {
    expect(linkNames(ok(["run", "--rm", "--network", "none", "busybox", "ip", "-o", "link"]))).toEqual(["lo"]);
    const hostLinks = linkNames(Bun.spawnSync(["ip", "-o", "link"]).stdout.toString());
    expect(linkNames(ok(["run", "--rm", "--net", "host", "busybox", "ip", "-o", "link"]))).toEqual(hostLinks);

    ok(["run", "-d", "--name", "netowner", "--hostname", "owner-host", "--add-host", "extra.example:10.9.8.7", "--dns-search", "own.example",
      "busybox", "sh", "-c", httpdLine("owner-page", 8080)]);
    const ownerLinks = linkNames(ok(["exec", "netowner", "ip", "-o", "link"]));
    const r = ok(["run", "--rm", "--network", "container:netowner", "busybox", "sh", "-c",
      "ip -o link; printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc -w 2 127.0.0.1 8080"]);
    expect(linkNames(r.split("\n").filter((l) => /^\d+: /.test(l)).join("\n"))).toEqual(ownerLinks);
    expect(r.endsWith("\r\n\r\nowner-page\n")).toBe(true);
    // as in Docker, the joiner has the owner's hostname, /etc/hosts and resolv.conf
    const shared = ok(["run", "--rm", "--network", "container:netowner", "busybox", "sh", "-c", "hostname; grep extra.example /etc/hosts; grep ^search /etc/resolv.conf"]);
    expect(shared).toBe("owner-host\n10.9.8.7\textra.example\nsearch own.example\n");
    ok(["rm", "-f", "netowner"]);
  });

  test("default mode: tap0 10.0.2.100 via 10.0.2.2; the host's 127.0.0.1 only with allow_host_loopback=true", () => {
    expect(ok(["info"])).toMatch(/^\s*Network egress: slirp4netns/m);
    const out = ok(["run", "--rm", "busybox", "sh", "-c", "ip -o -4 addr show tap0; ip route"]);
    expect(out).toContain("inet 10.0.2.100/24");
    expect(out).toMatch(/^default via 10\.0\.2\.2 dev tap0/m);

    const allowed = reachHost(["run", "--rm", "--network", "slirp4netns:allow_host_loopback=true", "busybox"]);
    expect(allowed.stdout).toBe(`${HOST_SERVER_REPLY}\n`);
    const denied = reachHost(["run", "--rm", "busybox"]);
    expect(denied.stdout).toBe("");
    expect(denied.code).not.toBe(0);
    expect(reachHost(["run", "--rm", "--network", "slirp4netns", "busybox"]).stdout).toBe("");
  });

  test("user networks: egress to the host's 127.0.0.1 with RR_NETWORK_HOST_LOOPBACK=1; --internal has none but peers talk", async () => {
    const env = { RR_NETWORK_HOST_LOOPBACK: "1" };
    const box = new Sandbox();
    extraSandboxes.push({ box, env });
    const lb = (args: string[]) => box.ok(mode, args, { env });
    lb(["load", "-i", writeFixtures(box).busybox]);
    lb(["network", "create", "egress"]);
    lb(["network", "create", "--internal", "sealed"]);

    const out = reachHost(["run", "--rm", "--net", "egress", "busybox"], { env }, box);
    expect(out.stdout).toBe(`${HOST_SERVER_REPLY}\n`);

    lb(["run", "-d", "--name", "in1", "--net", "sealed", "busybox", "sleep", "600"]);
    lb(["run", "-d", "--name", "in2", "--net", "sealed", "busybox", "sh", "-c", httpdLine("in2-page")]);
    expect(box.ok(mode, ["exec", "in1", "ip", "route"], { env })).not.toMatch(/^default/m);
    const sealed = reachHost(["exec", "in1"], { env }, box);
    expect(sealed.stdout).toBe("");
    expect(sealed.code).not.toBe(0);
    expect(pings(box, mode, "in1", "in2")).toBe(true);
    await until(() => ncGet(box, mode, "in1", "in2").body === "in2-page\n", 5000, "in2's httpd over the internal network");
  });

  test("names: --network-alias, connect --alias and disconnect of a running container, rename and rm update peers' /etc/hosts (keeping a line the container added)", () => {
    ok(["network", "create", "names"]);
    ok(["network", "create", "elsewhere"]);
    ok(["run", "-d", "--name", "alpha", "--hostname", "alpha-host", "--net", "names", "--network-alias", "web-alias", "busybox", "sh", "-c", httpdLine("alpha-page")]);
    ok(["run", "-d", "--name", "beta", "--net", "names", "busybox", "sleep", "600"]);
    ok(["exec", "beta", "sh", "-c", "echo '192.0.2.9 beta-edit' >> /etc/hosts"]); // kept while peers come and go
    const alphaIp = inspect("alpha", "{{.NetworkSettings.Networks.names.IPAddress}}");
    const alphaShortId = inspect("alpha", "{{.Id}}").slice(0, 12); // a --hostname does not hide the id, as with Docker's DNS
    for (const name of ["alpha", "alpha-host", "web-alias", alphaShortId]) expect(hostsLine("beta", name)?.split(/\s+/)[0]).toBe(alphaIp);
    expect(pings(sb, mode, "beta", "web-alias")).toBe(true);
    expect(inspect("alpha", "{{json .NetworkSettings.Networks.names.Aliases}}")).toContain("web-alias");

    // connect a running container: eth1 with its address, the alias resolves for the others and back
    ok(["run", "-d", "--name", "gamma", "--net", "elsewhere", "busybox", "sleep", "600"]);
    ok(["network", "connect", "--alias", "gamma-alias", "names", "gamma"]);
    const gammaIp = inspect("gamma", "{{.NetworkSettings.Networks.names.IPAddress}}");
    expect(gammaIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(ok(["exec", "gamma", "ip", "-o", "-4", "addr", "show", "eth1"])).toContain(`inet ${gammaIp}/`);
    expect(hostsLine("beta", "gamma-alias")?.split(/\s+/)[0]).toBe(gammaIp);
    expect(hostsLine("beta", "gamma")?.split(/\s+/)[0]).toBe(gammaIp);
    expect(pings(sb, mode, "beta", "gamma-alias")).toBe(true);
    expect(hostsLine("gamma", "alpha")?.split(/\s+/)[0]).toBe(alphaIp);
    expect(ncGet(sb, mode, "gamma", "web-alias").body).toBe("alpha-page\n");

    // disconnect it: the interface goes, and so do the peers' lines
    ok(["network", "disconnect", "names", "gamma"]);
    expect(linkNames(ok(["exec", "gamma", "ip", "-o", "link"]))).toEqual(["eth0", "lo"]);
    expect(hostsLine("beta", "gamma-alias")).toBeUndefined();
    expect(hostsLine("beta", "gamma")).toBeUndefined();
    expect(hostsLine("gamma", "alpha")).toBeUndefined();
    expect(pings(sb, mode, "beta", gammaIp)).toBe(false);
    expect(hostsLine("beta", "beta-edit")).toBe("192.0.2.9 beta-edit");

    // rename, then rm
    ok(["rename", "alpha", "alpha2"]);
    expect(hostsLine("beta", "alpha2")?.split(/\s+/)[0]).toBe(alphaIp);
    expect(hostsLine("beta", "alpha")).toBeUndefined();
    expect(ok(["rm", "-f", "alpha2"])).toBe("alpha2\n");
    for (const name of ["alpha2", "alpha-host", "web-alias"]) expect(hostsLine("beta", name)).toBeUndefined();
    ok(["rm", "-f", "beta", "gamma"]);
    expect(ok(["network", "rm", "names", "elsewhere"])).toBe("names\nelsewhere\n");
  });

  test("--network given twice: eth0 and eth1, names on both networks; an unknown second network leaves nothing taken", () => {
    ok(["network", "create", "--subnet", "10.61.0.0/24", "twice-a"]);
    ok(["network", "create", "--subnet", "10.62.0.0/24", "twice-b"]);
    ok(["run", "-d", "--name", "on-a", "--net", "twice-a", "busybox", "sleep", "600"]);
    ok(["run", "-d", "--name", "on-b", "--net", "twice-b", "busybox", "sleep", "600"]);
    ok(["run", "-d", "--name", "on-both", "--net", "twice-a", "--ip", "10.61.0.50", "--network-alias", "both-alias", "--net", "twice-b", "busybox", "sleep", "600"]);
    expect(ok(["exec", "on-both", "ip", "-o", "-4", "addr", "show", "eth0"])).toContain("inet 10.61.0.50/24");
    expect(ok(["exec", "on-both", "ip", "-o", "-4", "addr", "show", "eth1"])).toContain("inet 10.62.0.");
    expect(ok(["exec", "on-both", "ip", "-4", "route", "show", "default"])).toContain("via 10.61.0.1 dev eth0");
    expect(inspect("on-both", "{{.HostConfig.NetworkMode}}")).toBe("twice-a");
    expect(pings(sb, mode, "on-a", "both-alias")).toBe(true);
    expect(pings(sb, mode, "on-b", "on-both")).toBe(true);
    expect(hostsLine("on-b", "both-alias")).toBeUndefined(); // the alias is the first network's only
    // an --internal first network has no route out: the default route goes through the next one
    ok(["network", "create", "--internal", "--subnet", "10.63.0.0/24", "twice-i"]);
    expect(ok(["run", "--rm", "--net", "twice-i", "--net", "twice-b", "busybox", "ip", "-4", "route", "show", "default"])).toBe("default via 10.62.0.1 dev eth1 \n");
    // the second network unknown: exit 125, no container, the first network's address free again
    const r = rr(["run", "--name", "half-joined", "--net", "twice-a", "--ip", "10.61.0.60", "--net", "nosuch-net", "busybox", "true"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toStartWith("rr: network nosuch-net not found");
    expect(rr(["inspect", "half-joined"]).code).toBe(1);
    ok(["run", "--rm", "--net", "twice-a", "--ip", "10.61.0.60", "busybox", "true"]);
    // one network by name and by id prefix is one network given twice
    const idPrefix = ok(["network", "inspect", "-f", "{{.Id}}", "twice-a"]).slice(0, 12);
    const again = rr(["run", "--name", "twice-same", "--net", "twice-a", "--net", idPrefix, "busybox", "true"]);
    expect(again.code).toBe(125);
    expect(again.stderr).toStartWith(`rr: network "${idPrefix}" is specified multiple times`);
    expect(rr(["inspect", "twice-same"]).code).toBe(1);
    ok(["rm", "-f", "on-a", "on-b", "on-both"]);
    ok(["network", "rm", "twice-a", "twice-b", "twice-i"]);
  });

  test("network connect of a running default-mode container: root keeps its slirp4netns route and adds eth0; rootless refuses and changes nothing", () => {
    ok(["network", "create", "--subnet", "10.77.0.0/24", "late"]);
    ok(["run", "-d", "--name", "late-peer", "--net", "late", "busybox", "sleep", "600"]);
    ok(["run", "-d", "--name", "loner", "busybox", "sleep", "600"]);
    const routes = ok(["exec", "loner", "ip", "-4", "route"]);
    const connect = rr(["network", "connect", "late", "loner"]);
    if (mode === "root") {
      expect(connect.stderr).toBe("");
      expect(connect.code).toBe(0);
      const ip = inspect("loner", "{{.NetworkSettings.Networks.late.IPAddress}}");
      // inspect and ps name the same networks: the new one and the mode it started in
      expect(inspect("loner", "{{range $net, $s := .NetworkSettings.Networks}}{{$net}} {{end}}")).toBe("late slirp4netns");
      expect(ok(["ps", "--filter", "name=^loner$", "--format", "{{.Networks}}"]).trim()).toBe("late,slirp4netns");
      expect(ok(["exec", "loner", "ip", "-o", "-4", "addr", "show", "eth0"])).toContain(`inet ${ip}/24`);
      expect(ok(["exec", "loner", "ip", "-4", "route", "show", "default"])).toBe(routes.split("\n").filter((l) => l.startsWith("default")).join("\n") + "\n");
      expect(pings(sb, mode, "late-peer", "loner")).toBe(true);
      ok(["network", "disconnect", "late", "loner"]);
      expect(linkNames(ok(["exec", "loner", "ip", "-o", "link"]))).toEqual(["lo", "tap0"]);
    } else {
      expect(connect.code).toBe(1);
      expect(connect.stderr).toStartWith("rr: cannot connect the running container loner: it was not started on an rr network\n");
      expect(ok(["exec", "loner", "ip", "-4", "route"])).toBe(routes);
      expect(inspect("loner", "{{range $net, $s := .NetworkSettings.Networks}}{{$net}} {{end}}")).toBe("slirp4netns");
    }
    // no address is left taken, and none is given twice
    ok(["run", "-d", "--name", "late-2", "--net", "late", "busybox", "sleep", "600"]);
    const taken = ["late-peer", "late-2"].map((c) => inspect(c, "{{.NetworkSettings.Networks.late.IPAddress}}"));
    expect(new Set(taken).size).toBe(2);
    expect(linkNames(ok(["exec", "loner", "ip", "-o", "link"]))).toEqual(["lo", "tap0"]);
    ok(["rm", "-f", "late-peer", "late-2", "loner"]);
    ok(["network", "rm", "late"]);
  });

  test("--dns, --dns-search, --dns-option write /etc/resolv.conf; --add-host and --hostname write /etc/hosts", () => {
    const dns = ["--dns", "192.0.2.53", "--dns", "192.0.2.54", "--dns-search", "example.test", "--dns-option", "ndots:2"];
    const want = "nameserver 192.0.2.53\nnameserver 192.0.2.54\nsearch example.test\noptions ndots:2\n";
    ok(["network", "create", "dnsnet"]);
    for (const net of [[], ["--net", "dnsnet"]]) {
      const out = ok(["run", "--rm", ...net, ...dns, "--hostname", "named-box", "--add-host", "db.example.test:192.0.2.7", "busybox", "sh", "-c",
        "cat /etc/resolv.conf; echo ---; hostname; cat /etc/hosts"]);
      const [resolv, rest] = out.split("---\n");
      expect({ net, resolv: resolv!.split("\n").filter((l) => l && !l.startsWith("#")).join("\n") + "\n" }).toEqual({ net, resolv: want });
      expect(rest!.split("\n")[0]).toBe("named-box");
      expect(rest).toMatch(/^192\.0\.2\.7\s+db\.example\.test$/m);
      expect(rest).toMatch(/^\S+\s+(\S+\s+)*named-box(\s|$)/m);
    }
    ok(["network", "rm", "dnsnet"]);
  });

  test("--add-host NAME:host-gateway writes an address, not the word", () => {
    // Docker replaces the special value with the host's address as seen from the container
    const out = ok(["run", "--rm", "--add-host", "hostbox:host-gateway", "busybox", "cat", "/etc/hosts"]);
    expect(out).toMatch(/^\d+\.\d+\.\d+\.\d+\s+hostbox$/m);
  });

  test("inspect -f reads a hyphenated network's address the way Docker's docs write it", () => {
    ok(["network", "create", "--subnet", "172.31.250.0/24", "my-net"]);
    ok(["create", "--name", "tpl", "--net", "my-net", "--ip", "172.31.250.9", "busybox"]);
    expect(inspect("tpl", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}")).toBe("172.31.250.9");
    expect(inspect("tpl", '{{with index .NetworkSettings.Networks "my-net"}}{{.IPAddress}}{{end}}')).toBe("172.31.250.9");
    ok(["rm", "-f", "tpl"]);
    ok(["network", "rm", "my-net"]);
  });

  test("isolation: two networks cannot reach each other; a container on both reaches both", async () => {
    ok(["network", "create", "iso-a"]);
    ok(["network", "create", "iso-b"]);
    ok(["run", "-d", "--name", "on-a", "--net", "iso-a", "busybox", "sh", "-c", httpdLine("a-page")]);
    ok(["run", "-d", "--name", "on-b", "--net", "iso-b", "busybox", "sh", "-c", httpdLine("b-page")]);
    ok(["run", "-d", "--name", "on-both", "--net", "iso-a", "busybox", "sleep", "600"]);
    ok(["network", "connect", "iso-b", "on-both"]);
    const ipA = inspect("on-a", '{{with index .NetworkSettings.Networks "iso-a"}}{{.IPAddress}}{{end}}');
    const ipB = inspect("on-b", '{{with index .NetworkSettings.Networks "iso-b"}}{{.IPAddress}}{{end}}');
    expect(ipB).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    // Docker's two inspect idioms for containers on several networks
    expect(inspect("on-a", '{{(index .NetworkSettings.Networks "iso-a").IPAddress}}')).toBe(ipA);
    expect(inspect("on-both", "{{range $net, $s := .NetworkSettings.Networks}}{{$net}}={{$s.IPAddress}} {{end}}"))
      .toMatch(/^iso-a=\d+\.\d+\.\d+\.\d+ iso-b=\d+\.\d+\.\d+\.\d+$/);
    await until(() => ncGet(sb, mode, "on-both", ipB).body === "b-page\n", 5000, "on-b's httpd from on-both");
    expect(ncGet(sb, mode, "on-both", "on-a").body).toBe("a-page\n");
    expect(ncGet(sb, mode, "on-both", "on-b").body).toBe("b-page\n");
    expect(pings(sb, mode, "on-a", ipB)).toBe(false);
    expect(ncGet(sb, mode, "on-a", ipB, 80, "/index.html", 1).body).toBe("");
    expect(hostsLine("on-a", "on-b")).toBeUndefined();
    expect(ncGet(sb, mode, "on-b", ipA, 80, "/index.html", 1).body).toBe("");
    ok(["rm", "-f", "on-a", "on-b", "on-both"]);
    ok(["network", "rm", "iso-a", "iso-b"]);
  });

  test("the network holder killed with -9: the next start on a network re-wires the survivors; restarts reconnect too", async () => {
    ok(["network", "create", "fragile"]);
    ok(["run", "-d", "--name", "fr1", "--net", "fragile", "-p", "127.0.0.1::80", "busybox", "sh", "-c", httpdLine("fr1-page")]);
    ok(["run", "-d", "--name", "fr2", "--net", "fragile", "busybox", "sleep", "600"]);
    await until(() => ncGet(sb, mode, "fr2", "fr1").body === "fr1-page\n", 5000, "fr1 from fr2");
    const holderPid = async () => (JSON.parse(await Bun.file(`${sb.storeRoot(mode)}/network-holder/holder.json`).text()) as { pid: number }).pid;
    process.kill(await holderPid(), "SIGKILL");
    await until(() => !pings(sb, mode, "fr2", "fr1"), 5000, "the old bridge to go");
    const fr2Mac = () => ok(["exec", "fr2", "cat", "/sys/class/net/eth0/address"]).trim();
    expect(() => fr2Mac()).toThrow(); // eth0 went with the holder's namespace

    // a new container on the network starts a new holder, which takes the survivors back, same addresses
    const fresh = ok(["run", "--rm", "--net", "fragile", "busybox", "sh", "-c", "printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc -w 2 fr1 80"]);
    expect(fresh.endsWith("\r\n\r\nfr1-page\n")).toBe(true);
    expect(fr2Mac()).toBe(ok(["inspect", "-f", "{{.NetworkSettings.Networks.fragile.MacAddress}}", "fr2"]).trim());
    await until(() => ncGet(sb, mode, "fr2", "fr1").body === "fr1-page\n", 5000, "fr1 from fr2 without a restart");
    const firstPort = Number(ok(["port", "fr1", "80"]).trim().split(":").pop());
    await until(async () => (await hostGet(firstPort)) === "fr1-page\n", 5000, `127.0.0.1:${firstPort} without a restart`);

    process.kill(await holderPid(), "SIGKILL");
    await until(() => !pings(sb, mode, "fr2", "fr1"), 5000, "the second holder's bridge to go");
    ok(["restart", "-t", "0", "fr1", "fr2"]);
    await until(() => ncGet(sb, mode, "fr2", "fr1").body === "fr1-page\n", 5000, "fr1 from fr2 after the restarts");
    const port = Number(ok(["port", "fr1", "80"]).trim().split(":").pop());
    await until(async () => (await hostGet(port)) === "fr1-page\n", 5000, `127.0.0.1:${port} after the restart`);
    ok(["rm", "-f", "fr1", "fr2"]);
    ok(["network", "rm", "fragile"]);
  });
});
