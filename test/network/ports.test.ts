/**
 * Published ports: `-p`/`--expose` parsing with Docker's rules and messages,
 * the PORTS column and `rr port` lines, and binding host sockets on
 * 127.0.0.1, or 0.0.0.0 and [::] (all or nothing; a taken port is a clear error).
 */
import { describe, expect, test } from "bun:test";
import { createServer } from "node:net";
import {
  bindPorts, closePorts, exposedPorts, formatPorts, naturalCompare, parseExpose, parsePublish, portLines,
  type PortSpec, type PublishedPort,
} from "../../src/network/ports.ts";
import { hasIpv6Loopback } from "../helpers/net-util.ts";

const tcp = (hostIp: string, hostPort: number, containerPort: number): PortSpec => ({ hostIp, hostPort, containerPort, proto: "tcp" });

describe("parsePublish()", () => {
  test("container port alone: any host port on all addresses", () => {
    expect(parsePublish("80")).toEqual([tcp("", 0, 80)]);
  });
  test("host port and container port, with a protocol", () => {
    expect(parsePublish("8080:80")).toEqual([tcp("", 8080, 80)]);
    expect(parsePublish("5353:53/udp")).toEqual([{ hostIp: "", hostPort: 5353, containerPort: 53, proto: "udp" }]);
    expect(parsePublish("53/UDP")[0]!.proto).toBe("udp");
    expect(parsePublish("80/")).toEqual([tcp("", 0, 80)]);
  });
  test("a host IP, with or without a host port", () => {
    expect(parsePublish("127.0.0.1:8080:80")).toEqual([tcp("127.0.0.1", 8080, 80)]);
    expect(parsePublish("127.0.0.1::80")).toEqual([tcp("127.0.0.1", 0, 80)]);
  });
  test("IPv6 host IPs, bracketed or not", () => {
    expect(parsePublish("[::1]:8080:80")).toEqual([tcp("::1", 8080, 80)]);
    expect(parsePublish("[::1]::80")).toEqual([tcp("::1", 0, 80)]);
    expect(parsePublish("::1:8080:80")).toEqual([tcp("::1", 8080, 80)]);
  });
  test("ranges of equal length map port by port", () => {
    expect(parsePublish("8000-8002:80-82/udp").map((s) => [s.hostPort, s.containerPort, s.proto]))
      .toEqual([[8000, 80, "udp"], [8001, 81, "udp"], [8002, 82, "udp"]]);
    expect(parsePublish("80-81").map((s) => [s.hostPort, s.containerPort])).toEqual([[0, 80], [0, 81]]);
  });
  test("a host range for one container port is where to pick a free port", () => {
    expect(parsePublish("8000-8010:80")).toEqual([{ ...tcp("", 8000, 80), hostPortEnd: 8010 }]);
  });
  test("the long form published=,target=,protocol=", () => {
    expect(parsePublish("published=8080,target=80")).toEqual([tcp("", 8080, 80)]);
    expect(parsePublish("target=53,published=5353,protocol=udp")[0]).toMatchObject({ hostPort: 5353, containerPort: 53, proto: "udp" });
    expect(() => parsePublish("published=8080,target")).toThrow("invalid publish opts format (should be name=value but got 'target')");
  });
  test("rejects bad specs with Docker's messages", () => {
    const bad: [string, string][] = [
      ["8080:", "no port specified: 8080:<empty>"],
      ["", "no port specified: <empty>"],
      ["/tcp", "no port specified: /tcp<empty>"],
      ["abc", "invalid containerPort: abc"],
      ["70000", "invalid containerPort: 70000"],
      ["0", "invalid containerPort: 0"],
      ["80-", "invalid containerPort: 80-"],
      ["90-80", "invalid containerPort: 90-80"],
      ["x:80", "invalid hostPort: x"],
      ["65536:80", "invalid hostPort: 65536"],
      ["1.2.3:80:80", "invalid IP address: 1.2.3"],
      ["localhost:80:80", "invalid IP address: localhost"],
      ["[::1:80:80", "invalid IP address [::1: missing ']' in address"],
      ["8000-8001:80-82", "invalid ranges specified for container and host Ports: 80-82 and 8000-8001"],
      ["8080:80-81", "invalid ranges specified for container and host Ports: 80-81 and 8080"],
      ["80/icmp", "invalid proto: icmp"],
      ["80/sctp", "publishing sctp ports is not supported"],
    ];
    for (const [spec, message] of bad) expect(() => parsePublish(spec)).toThrow(message);
  });
});

describe("parseExpose() and exposedPorts()", () => {
  test("single ports, ranges and protocols", () => {
    expect(parseExpose("80")).toEqual([{ port: 80, proto: "tcp" }]);
    expect(parseExpose("53/udp")).toEqual([{ port: 53, proto: "udp" }]);
    expect(parseExpose("8000-8002").map((p) => p.port)).toEqual([8000, 8001, 8002]);
  });
  test("rejects host parts and bad ranges", () => {
    expect(() => parseExpose("8080:80")).toThrow("invalid port format for --expose: 8080:80");
    expect(() => parseExpose("x")).toThrow("invalid range format for --expose: x");
    expect(() => parseExpose("90-80")).toThrow("invalid range format for --expose: 90-80");
  });
  test("-P: the image's and --expose's ports, once each, on any host port", () => {
    expect(exposedPorts({ "443/tcp": {}, "80/tcp": {}, "53/udp": {} }, ["80", "53"])).toEqual([
      tcp("", 0, 53), { hostIp: "", hostPort: 0, containerPort: 53, proto: "udp" }, tcp("", 0, 80), tcp("", 0, 443),
    ]);
    expect(exposedPorts(undefined, [])).toEqual([]);
  });
});

const pub = (hostIp: string, hostPort: number, containerPort: number, proto: "tcp" | "udp" = "tcp"): PublishedPort =>
  ({ hostIp, hostPort, containerPort, proto });

describe("formatPorts() (rr ps)", () => {
  test("a mapping to another port is shown one by one", () => {
    expect(formatPorts([pub("127.0.0.1", 8080, 80), pub("0.0.0.0", 32768, 53, "udp")]))
      .toBe("0.0.0.0:32768->53/udp, 127.0.0.1:8080->80/tcp");
  });
  test("ports that keep their number group into ranges, as Docker shows them", () => {
    expect(formatPorts([pub("0.0.0.0", 8001, 8001), pub("0.0.0.0", 8000, 8000), pub("0.0.0.0", 8003, 8003)]))
      .toBe("0.0.0.0:8000-8001->8000-8001/tcp, 0.0.0.0:8003->8003/tcp");
  });
  test("IPv6 addresses and exposed-only ports", () => {
    expect(formatPorts([pub("::", 8080, 80)], [{ port: 443, proto: "tcp" }, { port: 444, proto: "tcp" }]))
      .toBe("443-444/tcp, [::]:8080->80/tcp");
    expect(formatPorts([pub("::", 8080, 8080), pub("0.0.0.0", 8080, 8080)])).toBe("0.0.0.0:8080->8080/tcp, [::]:8080->8080/tcp");
    expect(formatPorts([])).toBe("");
  });
});

describe("portLines() (rr port)", () => {
  const ports = [pub("0.0.0.0", 8443, 443), pub("127.0.0.1", 8080, 80), pub("::1", 8080, 80), pub("0.0.0.0", 5353, 53, "udp")];
  test("all mappings, naturally sorted", () => {
    expect(portLines(ports, "web")).toEqual([
      "53/udp -> 0.0.0.0:5353", "80/tcp -> 127.0.0.1:8080", "80/tcp -> [::1]:8080", "443/tcp -> 0.0.0.0:8443",
    ]);
  });
  test("one port: its host addresses", () => {
    expect(portLines(ports, "web", "80")).toEqual(["127.0.0.1:8080", "[::1]:8080"]);
    expect(portLines(ports, "web", "53/udp")).toEqual(["0.0.0.0:5353"]);
  });
  test("an unpublished or malformed port is an error", () => {
    expect(() => portLines(ports, "web", "53")).toThrow("no public port '53' published for web");
    expect(() => portLines(ports, "web", "http")).toThrow("invalid port (http)");
  });
  test("naturalCompare orders digit runs by value", () => {
    expect(["443/tcp", "80/tcp", "8080/tcp"].sort(naturalCompare)).toEqual(["80/tcp", "443/tcp", "8080/tcp"]);
  });
});


/** Two free neighbouring ports below the kernel's ephemeral range (fewer races with other sockets). */
function freePair(): number {
  for (;;) {
    const p = 20000 + Math.floor(Math.random() * 10000);
    try {
      closePorts(bindPorts([tcp("127.0.0.1", p, 1), tcp("127.0.0.1", p + 1, 1)]));
      return p;
    } catch {
      // taken: try another
    }
  }
}

describe("bindPorts()", () => {
  test("binds 127.0.0.1:0 and reports the port the kernel picked", () => {
    const bound = bindPorts([tcp("127.0.0.1", 0, 80), { hostIp: "127.0.0.1", hostPort: 0, containerPort: 53, proto: "udp" }]);
    try {
      expect(bound.map((b) => b.spec.hostPort).every((p) => p > 0)).toBe(true);
      expect(bound.map((b) => b.spec.containerPort)).toEqual([80, 53]);
    } finally {
      closePorts(bound);
    }
  });
  test("a taken port is a clear error, and the sockets bound before it are closed", async () => {
    const other = createServer();
    await new Promise<void>((r) => other.listen(0, "127.0.0.1", r));
    const taken = (other.address() as { port: number }).port;
    const before = freePair();
    try {
      expect(() => bindPorts([tcp("127.0.0.1", before, 81), tcp("127.0.0.1", taken, 8080)]))
        .toThrow(`port ${taken}/tcp is already in use on 127.0.0.1`);
      closePorts(bindPorts([tcp("127.0.0.1", before, 81)])); // free again: it was closed
    } finally {
      other.close();
    }
  });
  test("one host port published twice in one run is named as such, before anything is bound", () => {
    const p = freePair();
    for (const [a, b] of [["127.0.0.1", "127.0.0.1"], ["", "127.0.0.1"], ["127.0.0.1", "0.0.0.0"], ["::1", ""], ["::", "::1"]] as const) {
      expect(() => bindPorts([tcp(a, p, 80), tcp(b, p, 81)])).toThrow(`host port ${p}/tcp is published twice (to container ports 80 and 81)`);
    }
    closePorts(bindPorts([tcp("127.0.0.1", p, 80)])); // nothing was left bound
    if (hasIpv6Loopback()) { // 0.0.0.0 and [::] are separate sockets (v6-only): no twins
      closePorts(bindPorts([tcp("0.0.0.0", p, 80), tcp("::", p, 81), tcp("::1", p + 1, 82), tcp("0.0.0.0", p + 1, 83)]));
    }
    // different addresses, or a range to pick from, are no twins
    const bound = bindPorts([tcp("127.0.0.1", p, 80), { ...tcp("127.0.0.1", p, 81), hostPortEnd: p + 1 }]);
    closePorts(bound);
    expect(bound.map((b) => b.spec.hostPort)).toEqual([p, p + 1]);
  });
  test("the same port for tcp and udp is no conflict", () => {
    const port = freePair();
    const bound = bindPorts([tcp("127.0.0.1", port, 80), { ...tcp("127.0.0.1", port, 80), proto: "udp" }]);
    closePorts(bound);
    expect(bound.map((b) => b.spec.hostPort)).toEqual([port, port]);
  });
  test("a host range takes its first free port, and says when none is", () => {
    const p = freePair();
    const a = bindPorts([tcp("127.0.0.1", p, 1)]);
    try {
      const b = bindPorts([{ ...tcp("127.0.0.1", p, 80), hostPortEnd: p + 1 }]);
      closePorts(b);
      expect(b[0]!.spec.hostPort).toBe(p + 1);
      expect(() => bindPorts([{ ...tcp("127.0.0.1", p, 80), hostPortEnd: p }])).toThrow(`port ${p}/tcp is already in use`);
    } finally {
      closePorts(a);
    }
  });
  test("all addresses are 0.0.0.0 and, with IPv6, [::] on the same port, as Docker binds them", () => {
    for (const proto of ["tcp", "udp"] as const) {
      const bound = bindPorts([{ ...tcp("", 0, 80), proto }]);
      closePorts(bound);
      expect(bound.map((b) => b.spec.hostIp)).toEqual(hasIpv6Loopback() ? ["0.0.0.0", "::"] : ["0.0.0.0"]);
      expect(new Set(bound.map((b) => b.spec.hostPort)).size).toBe(1);
    }
  });
  test.skipIf(!hasIpv6Loopback())("a port taken only on [::] is a clear error naming [::], and 0.0.0.0 is let go", async () => {
    const other = createServer();
    await new Promise<void>((r) => other.listen({ port: 0, host: "::", ipv6Only: true }, r));
    const taken = (other.address() as { port: number }).port;
    try {
      expect(() => bindPorts([tcp("", taken, 80)])).toThrow(`port ${taken}/tcp is already in use on [::]`);
      closePorts(bindPorts([tcp("0.0.0.0", taken, 80)])); // free again: it was closed
      const range = bindPorts([{ ...tcp("", taken, 80), hostPortEnd: taken + 1 }]);
      closePorts(range);
      expect(range.map((b) => b.spec.hostPort)).not.toContain(taken);
    } finally {
      other.close();
    }
  });
  test.skipIf(!hasIpv6Loopback())("IPv6 loopback binds too", () => {
    const bound = bindPorts([tcp("::1", 0, 80)]);
    closePorts(bound);
    expect(bound[0]!.spec.hostIp).toBe("::1");
  });
  test("an address that is not an IP, or not this host's, is refused", () => {
    expect(() => bindPorts([tcp("1.2.3", 0, 80)])).toThrow("invalid IP address: 1.2.3");
    expect(() => bindPorts([tcp("192.0.2.1", 0, 80)])).toThrow("cannot publish on 192.0.2.1: no interface of this host has that address");
  });
});
