/**
 * Published ports through the compiled binary in each identity mode: free
 * host ports, -P with --expose, byte-exact TCP both ways, UDP, the forwarder's
 * lifetime (the host port is free again when the container ends, detached or
 * foreground), ports on a default-mode (slirp4netns) container, and how
 * `ps`, `port` and `inspect` show them. The host side only ever talks to
 * its loopback (127.0.0.1, ::1).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { integrationSkipReason, MODES, Sandbox, type Mode } from "../helpers/rr.ts";
import { writeFixtures } from "../helpers/fixtures.ts";
import { writeNetbox } from "../helpers/net-image.ts";
import {
  freePort, freeRange, hasIpv6Loopback, hostGet, hostTcpExchange, hostUdpExchange, httpdLine, md5, portIsFree, until,
} from "../helpers/net-util.ts";

const skip = integrationSkipReason();

describe.skipIf(!!skip).each(MODES)(`published ports (%s)${skip ? ` — skipped: ${skip}` : ""}`, (mode: Mode) => {
  let sb: Sandbox;
  const rr = (args: string[], opts: Parameters<Sandbox["rr"]>[2] = {}) => sb.rr(mode, args, opts);
  const ok = (args: string[], opts: Parameters<Sandbox["rr"]>[2] = {}) => sb.ok(mode, args, opts);
  const inspect = (ctr: string, format: string) => ok(["inspect", "-f", format, ctr]).trim();
  /** The host port `rr port CTR PORT` names (first line). */
  const hostPort = (ctr: string, port: string) => Number(ok(["port", ctr, port]).split("\n")[0]!.split(":").pop());
  const psPorts = (ctr: string) => ok(["ps", "-a", "--filter", `name=^${ctr}$`, "--format", "{{.Ports}}"]).trim();

  beforeAll(() => {
    sb = new Sandbox();
    sb.ok(mode, ["load", "-i", writeFixtures(sb).busybox]);
    sb.ok(mode, ["load", "-i", writeNetbox(sb)]);
    sb.ok(mode, ["network", "create", "ports"]);
  });
  afterAll(() => {
    const ids = sb?.rr(mode, ["ps", "-aq"]).stdout.split("\n").filter(Boolean) ?? [];
    if (ids.length) sb.rr(mode, ["rm", "-f", ...ids]);
    sb?.cleanup();
  });

  test("-p 127.0.0.1::80 picks a free host port: port, ps and inspect show it, and it serves", async () => {
    ok(["run", "-d", "--name", "auto", "--net", "ports", "-p", "127.0.0.1::80", "busybox", "sh", "-c", httpdLine("auto-page")]);
    const lines = ok(["port", "auto"]);
    expect(lines).toMatch(/^80\/tcp -> 127\.0\.0\.1:\d+\n$/);
    const port = hostPort("auto", "80/tcp");
    expect(port).toBeGreaterThan(0);
    expect(ok(["port", "auto", "80"])).toBe(`127.0.0.1:${port}\n`);
    expect(psPorts("auto")).toBe(`127.0.0.1:${port}->80/tcp`);
    expect(JSON.parse(inspect("auto", "{{json .NetworkSettings.Ports}}"))).toEqual({ "80/tcp": [{ HostIp: "127.0.0.1", HostPort: String(port) }] });
    expect(JSON.parse(inspect("auto", "{{json .HostConfig.PortBindings}}"))).toEqual({ "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] });
    await until(async () => (await hostGet(port)) === "auto-page\n", 5000, `127.0.0.1:${port}`);
    const missing = rr(["port", "auto", "81"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("81");
    ok(["rm", "-f", "auto"]);
  });

  test("-P publishes every --expose'd port on a free host port of 0.0.0.0 and [::], reached through 127.0.0.1 and ::1", async () => {
    ok(["run", "-d", "--name", "puball", "--net", "ports", "-P", "--expose", "80", "--expose", "9999/udp", "netbox", "sh", "-c",
      `udpecho 9999 & ${httpdLine("puball-page")}`]);
    const tcp = hostPort("puball", "80/tcp"), udp = hostPort("puball", "9999/udp");
    expect(tcp).toBeGreaterThan(0);
    expect(udp).toBeGreaterThan(0);
    // all addresses, as Docker: 0.0.0.0 and (where the host has IPv6) [::], on one port
    const v6 = hasIpv6Loopback();
    const both = (port: number, ctr: string) => [`0.0.0.0:${port}->${ctr}`, ...(v6 ? [`[::]:${port}->${ctr}`] : [])];
    expect(ok(["port", "puball"]).split("\n").filter(Boolean)).toEqual(
      [...both(tcp, "80/tcp"), ...both(udp, "9999/udp")].map((m) => { const [host, ctr] = m.split("->"); return `${ctr} -> ${host}`; }));
    expect(psPorts("puball")).toBe([...both(tcp, "80/tcp"), ...both(udp, "9999/udp")].join(", "));
    const bindings = (port: number) => [{ HostIp: "0.0.0.0", HostPort: String(port) }, ...(v6 ? [{ HostIp: "::", HostPort: String(port) }] : [])];
    expect(JSON.parse(inspect("puball", "{{json .NetworkSettings.Ports}}"))).toEqual({ "80/tcp": bindings(tcp), "9999/udp": bindings(udp) });
    await until(async () => (await hostGet(tcp)) === "puball-page\n", 5000, `127.0.0.1:${tcp}`);
    expect(await hostUdpExchange(udp, "ping-P")).toBe("udpecho:ping-P");
    if (v6) {
      expect(await hostGet(tcp, "/index.html", "::1")).toBe("puball-page\n");
      expect(await hostUdpExchange(udp, "ping-P6", 2000, "::1")).toBe("udpecho:ping-P6");
    }
    ok(["rm", "-f", "puball"]);
  });

  test("TCP through a published port is byte-exact both ways (1 MiB)", async () => {
    const [up, down] = [freePort(), freePort()];
    ok(["run", "-d", "--name", "bulk", "--net", "ports", "-p", `127.0.0.1:${up}:9000`, "-p", `127.0.0.1:${down}:80`, "busybox", "sh", "-c",
      "mkdir -p /www && head -c 1048576 /dev/urandom > /www/blob && httpd -p 80 -h /www && sleep 600 | nc -l -p 9000 > /tmp/in; sleep 600"]);
    // container → host: a file served by httpd
    let body: ArrayBuffer | undefined;
    await until(async () => {
      try {
        const r = await fetch(`http://127.0.0.1:${down}/blob`, { signal: AbortSignal.timeout(3000) });
        body = r.ok ? await r.arrayBuffer() : undefined;
      } catch {}
      return body?.byteLength === 1048576;
    }, 5000, "the 1 MiB download");
    expect(md5(new Uint8Array(body!))).toBe(ok(["exec", "bulk", "md5sum", "/www/blob"]).split(" ")[0]);
    // host → container: nc writes what it receives to a file
    const data = randomBytes(1048576);
    await until(() => ok(["exec", "bulk", "sh", "-c", "netstat -ltn | grep -c ':9000 ' || true"]).trim() === "1", 5000, "nc to listen");
    expect((await hostTcpExchange(up, data)).length).toBe(0);
    await until(() => ok(["exec", "bulk", "md5sum", "/tmp/in"]).split(" ")[0] === md5(data), 5000, "the 1 MiB upload to land");
    ok(["rm", "-f", "bulk"]);
  });

  test("UDP through a published port, on a user network and in default mode", async () => {
    ok(["run", "-d", "--name", "udp-net", "--net", "ports", "-p", "127.0.0.1::9999/udp", "netbox", "udpecho", "9999"]);
    ok(["run", "-d", "--name", "udp-slirp", "-p", "127.0.0.1::9999/udp", "netbox", "udpecho", "9999"]);
    for (const ctr of ["udp-net", "udp-slirp"]) {
      const port = hostPort(ctr, "9999/udp");
      expect(ok(["port", ctr])).toBe(`9999/udp -> 127.0.0.1:${port}\n`);
      expect({ ctr, reply: await hostUdpExchange(port, `hello-${ctr}`) }).toEqual({ ctr, reply: `udpecho:hello-${ctr}` });
      expect({ ctr, reply: await hostUdpExchange(port, "again") }).toEqual({ ctr, reply: "udpecho:again" });
    }
    ok(["rm", "-f", "udp-net", "udp-slirp"]);
  });

  test("a published port on a default-mode (slirp4netns) container", async () => {
    const port = freePort();
    ok(["run", "-d", "--name", "slirp-web", "-p", `127.0.0.1:${port}:80`, "busybox", "sh", "-c", httpdLine("slirp-page")]);
    await until(async () => (await hostGet(port)) === "slirp-page\n", 5000, `127.0.0.1:${port}`);
    expect(psPorts("slirp-web")).toBe(`127.0.0.1:${port}->80/tcp`);
    ok(["rm", "-f", "slirp-web"]);
    await until(() => portIsFree(port), 3000, `127.0.0.1:${port} to be released`);
  });

  test("the forwarder ends with the container: stop, kill and rm -f free the host port; start binds it again", async () => {
    const port = freePort();
    ok(["run", "-d", "--name", "life", "--net", "ports", "-p", `127.0.0.1:${port}:80`, "busybox", "sh", "-c", httpdLine("life-page")]);
    await until(async () => (await hostGet(port)) === "life-page\n", 5000, `127.0.0.1:${port}`);
    expect(portIsFree(port)).toBe(false);
    ok(["stop", "-t", "1", "life"]);
    await until(() => portIsFree(port), 3000, `127.0.0.1:${port} after stop`);
    expect(psPorts("life")).toBe("");
    ok(["start", "life"]);
    await until(async () => (await hostGet(port)) === "life-page\n", 5000, `127.0.0.1:${port} after start`);
    ok(["kill", "life"]);
    await until(() => portIsFree(port), 3000, `127.0.0.1:${port} after kill`);
    ok(["start", "life"]);
    await until(async () => (await hostGet(port)) === "life-page\n", 5000, `127.0.0.1:${port} after the second start`);
    ok(["rm", "-f", "life"]);
    await until(() => portIsFree(port), 3000, `127.0.0.1:${port} after rm -f`);
  });

  test("half-close through the forwarder: the reply comes after the client's EOF", async () => {
    ok(["run", "-d", "--name", "digest", "--net", "ports", "-p", "127.0.0.1::9000", "busybox", "nc", "-ll", "-p", "9000", "-e", "md5sum"]);
    const port = hostPort("digest", "9000");
    await until(() => ok(["exec", "digest", "sh", "-c", "netstat -ltn | grep -c ':9000 ' || true"]).trim() === "1", 5000, "nc to listen");
    // md5sum answers only once it reads EOF, which the forwarder must pass on while keeping the way back open
    for (const size of [0, 1, 3 * 1048576 + 17]) {
      const data = randomBytes(size);
      expect({ size, reply: (await hostTcpExchange(port, data)).toString() }).toEqual({ size, reply: `${md5(data)}  -\n` });
    }
    ok(["rm", "-f", "digest"]);
  });

  test("many clients at once through one published port each get their own bytes", async () => {
    const files = Array.from({ length: 16 }, (_, i) => i);
    ok(["run", "-d", "--name", "many", "--net", "ports", "-p", "127.0.0.1::80", "busybox", "sh", "-c",
      `mkdir -p /www && for i in ${files.join(" ")}; do head -c $((i * 7919 + 1)) /dev/urandom > /www/f$i; done && exec httpd -f -p 80 -h /www`]);
    const port = hostPort("many", "80");
    await until(async () => (await hostGet(port, "/f0")) !== undefined, 5000, `127.0.0.1:${port}`); // files are all written
    const sums = new Map(ok(["exec", "many", "sh", "-c", "cd /www && md5sum f*"]).trim().split("\n").map((l) => [l.split(/\s+/)[1]!, l.split(/\s+/)[0]!]));
    expect(sums.size).toBe(files.length);
    const bodies = await Promise.all(files.map(async (i) => {
      const raw = await hostTcpExchange(port, `GET /f${i} HTTP/1.0\r\n\r\n`);
      return md5(raw.subarray(raw.indexOf("\r\n\r\n") + 4));
    }));
    expect(bodies).toEqual(files.map((i) => sums.get(`f${i}`) ?? `no f${i}`));
    ok(["rm", "-f", "many"]);
  });

  test("a foreground rr run -p forwards while it runs and frees the port when it exits", async () => {
    const port = freePort();
    const { argv, env } = sb.command(mode, ["run", "--rm", "--net", "ports", "-p", `127.0.0.1:${port}:80`, "busybox", "sh", "-c",
      `mkdir -p /www && echo fg-page > /www/index.html && httpd -p 80 -h /www && sleep 2 && echo done`]);
    const proc = Bun.spawn(argv, { env, stdout: "pipe", stderr: "pipe" });
    await until(async () => (await hostGet(port)) === "fg-page\n", 5000, `127.0.0.1:${port} while rr run is in the foreground`);
    expect(await proc.exited).toBe(0);
    expect(await new Response(proc.stdout).text()).toBe("done\n");
    await until(() => portIsFree(port), 3000, `127.0.0.1:${port} after the foreground run`);
  });

  test("a foreground rr run -p killed with SIGKILL: the container ends and the host port is free again", async () => {
    const port = freePort();
    const { argv, env } = sb.command(mode, ["run", "--name", "fgkill", "--net", "ports", "-p", `127.0.0.1:${port}:80`, "busybox", "sh", "-c", httpdLine("fgkill-page")]);
    const proc = Bun.spawn(argv, { env, stdout: "pipe", stderr: "pipe" });
    await until(async () => (await hostGet(port)) === "fgkill-page\n", 5000, `127.0.0.1:${port} while rr run is in the foreground`);
    // the rr process itself (setpriv execs env, which execs rr: same pid)
    proc.kill("SIGKILL");
    await proc.exited;
    await until(() => portIsFree(port), 3000, `127.0.0.1:${port} after rr run was killed`);
    await until(() => ok(["ps", "-a", "--filter", "name=^fgkill$", "--format", "{{.State}}"]).trim() !== "running", 3000, "fgkill to end");
    rr(["rm", "-f", "fgkill"]);
  });

  test("ps shows a running container's --expose'd ports that are not published, and Config.ExposedPorts lists them", () => {
    ok(["run", "-d", "--name", "exposed", "--net", "ports", "--expose", "80", "--expose", "9999/udp", "busybox", "sleep", "600"]);
    expect(psPorts("exposed")).toBe("80/tcp, 9999/udp");
    expect(JSON.parse(inspect("exposed", "{{json .Config.ExposedPorts}}"))).toEqual({ "80/tcp": {}, "9999/udp": {} });
    expect(JSON.parse(inspect("exposed", "{{json .NetworkSettings.Ports}}"))).toEqual({ "80/tcp": null, "9999/udp": null });
    ok(["rm", "-f", "exposed"]);
  });

  test("ps lists a published range whose host ports differ from the container's one by one, as Docker's DisplayablePorts does", () => {
    const base = freeRange(2);
    ok(["run", "-d", "--name", "ranged", "--net", "ports", "-p", `127.0.0.1:${base}-${base + 1}:80-81`, "busybox", "sleep", "600"]);
    expect(ok(["port", "ranged"])).toBe(`80/tcp -> 127.0.0.1:${base}\n81/tcp -> 127.0.0.1:${base + 1}\n`);
    expect(psPorts("ranged")).toBe(`127.0.0.1:${base}->80/tcp, 127.0.0.1:${base + 1}->81/tcp`);
    ok(["rm", "-f", "ranged"]);
  });

  test("a range of 300 ports (more listeners than the forwarder once had room for) is published and serves", async () => {
    const base = freeRange(300);
    ok(["run", "-d", "--name", "wide", "--net", "ports", "-p", `127.0.0.1:${base}-${base + 299}:7000-7299`, "busybox", "sh", "-c", httpdLine("wide-page", 7299)]);
    expect(ok(["port", "wide"]).split("\n").filter(Boolean)).toHaveLength(300);
    await until(async () => (await hostGet(base + 299)) === "wide-page\n", 5000, `127.0.0.1:${base + 299}`);
    ok(["rm", "-f", "wide"]);
    expect(portIsFree(base + 299)).toBe(true);
  });
});
