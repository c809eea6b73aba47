import { describe, expect, test } from "bun:test";
import { parseArgs } from "../../src/cli/args.ts";
import { parseRunArgs, parseBytes, parseUlimit, parseVolume } from "../../src/cli/run-options.ts";

const specs = [{ name: "detach", short: "d" }, { name: "interactive", short: "i" }, { name: "tty", short: "t" },
  { name: "env", short: "e", value: true, multiple: true }, { name: "network", value: true, aliases: ["net"] }, { name: "rm" }];

describe("parseArgs()", () => {
  test("groups short flags like -dit", () => {
    const { options } = parseArgs(["-dit"], specs, { command: "run" });
    expect(options).toEqual({ detach: true, interactive: true, tty: true });
  });
  test("takes --flag=false and repeated values", () => {
    const { options } = parseArgs(["--rm=false", "-e", "A=1", "--env=B=2", "-eC=3"], specs, { command: "run" });
    expect(options).toEqual({ rm: false, env: ["A=1", "B=2", "C=3"] });
  });
  test("stops at the first operand when asked", () => {
    const { positionals } = parseArgs(["-i", "img", "ls", "-la", "--rm"], specs, { command: "run", stopAtPositional: true });
    expect(positionals).toEqual(["img", "ls", "-la", "--rm"]);
  });
  test("-- ends options", () => {
    expect(parseArgs(["--", "-i"], specs, { command: "x" }).positionals).toEqual(["-i"]);
  });
  test("accepts aliases (--net for --network)", () => {
    expect(parseArgs(["--net", "none"], specs, { command: "run" }).options.network).toBe("none");
  });
  test("rejects unknown flags with a hint", () => {
    expect(() => parseArgs(["--bogus"], specs, { command: "run" })).toThrow("unknown flag: --bogus");
    expect(() => parseArgs(["-x"], specs, { command: "run" })).toThrow("unknown shorthand flag: 'x' in -x");
  });
  test("a value flag at the end is an error", () => {
    expect(() => parseArgs(["-e"], specs, { command: "run" })).toThrow("flag needs an argument");
  });
});

describe("parseRunArgs()", () => {
  test("hands everything after IMAGE to the command", () => {
    const r = parseRunArgs(["--rm", "-e", "A=1", "busybox", "ls", "-la"], {});
    expect(r.image).toBe("busybox");
    expect(r.command).toEqual(["ls", "-la"]);
    expect(r.remove).toBe(true);
    expect(r.env).toEqual(["A=1"]);
  });
  test("-e KEY copies the host's value and drops unset ones", () => {
    expect(parseRunArgs(["-e", "HOSTVAR", "-e", "UNSET", "img"], { HOSTVAR: "v" }).env).toEqual(["HOSTVAR=v"]);
  });
  test('--entrypoint "" clears the entrypoint', () => {
    expect(parseRunArgs(["--entrypoint", "", "img"], {}).entrypoint).toEqual([]);
  });
  test("requires an image", () => {
    expect(() => parseRunArgs(["--rm"], {})).toThrow('"rr run" requires at least 1 argument.');
  });
  test("network modes and the flags that need a user-defined network", () => {
    expect(parseRunArgs(["img"], {}).network).toBe("default");
    expect(parseRunArgs(["--net", "hadoop", "--ip", "172.18.0.2", "--network-alias", "nn", "img"], {})).toMatchObject({ network: "hadoop", ip: "172.18.0.2", networkAliases: ["nn"] });
    expect(parseRunArgs(["--network", "container:web", "img"], {}).network).toBe("container:web");
    expect(parseRunArgs(["-p", "127.0.0.1:8080:80", "-p", "53/udp", "-P", "--expose", "90", "img"], {})).toMatchObject({ publish: ["127.0.0.1:8080:80", "53/udp"], publishAll: true, expose: ["90"] });
    expect(() => parseRunArgs(["--ip", "172.18.0.2", "img"], {})).toThrow("supported only on user-defined networks");
    expect(() => parseRunArgs(["--net", "hadoop", "--ip", "172.18.0.300", "img"], {})).toThrow('invalid IPv4 address: "172.18.0.300"');
    expect(() => parseRunArgs(["--network", "none", "-p", "80", "img"], {})).toThrow("port publishing");
    expect(() => parseRunArgs(["--network", "container:web", "-P", "img"], {})).toThrow("port publishing");
    expect(() => parseRunArgs(["--network", "container:", "img"], {})).toThrow("name the container");
    expect(() => parseRunArgs(["--network", "slirp4netns:mtu=9000", "img"], {})).toThrow('unknown slirp4netns option "mtu=9000"');
    expect(() => parseRunArgs(["--network", "bad name", "img"], {})).toThrow('invalid network name "bad name"');
    expect(() => parseRunArgs(["-p", "80:", "img"], {})).toThrow();
  });
  test("--network more than once: the first is the network, the others extra; only network names, each once", () => {
    expect(parseRunArgs(["--net", "a", "--ip", "10.1.0.5", "--network", "b", "--net", "c", "img"], {})).toMatchObject({ network: "a", extraNetworks: ["b", "c"], ip: "10.1.0.5" });
    expect(parseRunArgs(["--net", "a", "img"], {}).extraNetworks).toBeUndefined();
    for (const other of ["host", "none", "container:web", "default", "slirp4netns"]) {
      expect(() => parseRunArgs(["--net", "a", "--net", other, "img"], {})).toThrow("conflicting options: cannot attach both user-defined and non-user-defined network-modes");
    }
    expect(() => parseRunArgs(["--net", "a", "--net", "b", "--net", "a", "img"], {})).toThrow('network "a" is specified multiple times');
  });
  test("--add-host takes NAME:IP, NAME=IP, [IPv6] and host-gateway; --dns an address; else Docker's flag errors", () => {
    const hosts = (...specs: string[]) => parseRunArgs([...specs.flatMap((s) => ["--add-host", s]), "busybox"], {}).addHosts;
    expect(hosts("db:192.0.2.10", "v6:::1", "eq=192.0.2.11", "br=[fd00::2]", "gw:host-gateway"))
      .toEqual(["db:192.0.2.10", "v6:::1", "eq:192.0.2.11", "br:fd00::2", "gw:host-gateway"]);
    expect(() => hosts("foo:notip")).toThrow('invalid argument "foo:notip" for "--add-host" flag: invalid IP address in add-host: "notip"');
    expect(() => hosts("foo:")).toThrow('invalid IP address in add-host: ""');
    for (const bad of ["nocolon", ":10.0.0.1", "a:b=10.0.0.1"]) expect(() => hosts(bad)).toThrow(`bad format for add-host: "${bad}"`);
    expect(parseRunArgs(["--dns", "192.0.2.53", "--dns", "2001:db8::53", "busybox"], {}).dns).toEqual(["192.0.2.53", "2001:db8::53"]);
    expect(() => parseRunArgs(["--dns", "bogus", "busybox"], {})).toThrow('invalid argument "bogus" for "--dns" flag: bogus is not an ip address');
  });
  test("parses limits", () => {
    const r = parseRunArgs(["-m", "64m", "--cpus", "0.5", "--pids-limit", "10", "--cpuset-cpus", "0", "img"], {});
    expect(r.resources).toEqual({ memoryBytes: 64 * 1024 * 1024, cpus: 0.5, pidsLimit: 10, cpusetCpus: "0" });
  });
  test("rejects a bad --cpus", () => {
    expect(() => parseRunArgs(["--cpus", "zero", "img"], {})).toThrow('invalid --cpus "zero"');
  });
});

describe("option values", () => {
  test("parseBytes() takes Docker's units", () => {
    expect(parseBytes("512", "-m")).toBe(512);
    expect(parseBytes("1g", "-m")).toBe(1024 ** 3);
    expect(parseBytes("1.5k", "-m")).toBe(1536);
    expect(() => parseBytes("lots", "--memory")).toThrow('invalid --memory value "lots"');
  });
  test("parseUlimit() takes name=soft[:hard]", () => {
    expect(parseUlimit("nofile=10:20")).toEqual({ name: "nofile", soft: 10, hard: 20 });
    expect(parseUlimit("nproc=5")).toEqual({ name: "nproc", soft: 5, hard: 5 });
    expect(() => parseUlimit("nofile")).toThrow("invalid ulimit");
  });
  test("parseVolume() refuses named volumes, relative targets and unknown options", () => {
    expect(() => parseVolume("data:/x")).toThrow('named volume "data" is not supported yet');
    expect(() => parseVolume("/tmp:x")).toThrow("the container path must be absolute");
    expect(() => parseVolume("/tmp:/x:bogus")).toThrow('invalid volume option "bogus"');
    expect(parseVolume("/tmp:/x:ro")).toEqual({ type: "bind", source: "/tmp", destination: "/x", readonly: true });
  });
});
