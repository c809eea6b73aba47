/**
 * Bad network inputs to run/create/start/connect through the compiled binary
 * in each identity mode: Docker's exit codes (125 for run/create), one-line
 * messages that name the culprit, and nothing left behind (no container, no
 * address held, no host port held, no half-made interface). The host side
 * only binds or connects on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { integrationSkipReason, MODES, Sandbox, type Mode } from "../helpers/rr.ts";
import { writeFixtures } from "../helpers/fixtures.ts";
import { holdPort, portIsFree } from "../helpers/net-util.ts";

const skip = integrationSkipReason();

describe.skipIf(!!skip).each(MODES)(`network bad inputs (%s)${skip ? ` — skipped: ${skip}` : ""}`, (mode: Mode) => {
  let sb: Sandbox;
  const rr = (args: string[], opts: Parameters<Sandbox["rr"]>[2] = {}) => sb.rr(mode, args, opts);
  const ok = (args: string[], opts: Parameters<Sandbox["rr"]>[2] = {}) => sb.ok(mode, args, opts);
  /** Runs rr and expects this exit code, nothing on stdout, and a first stderr line matching `message`. */
  const fails = (args: string[], code: number, message: string | RegExp) => {
    const r = rr(args);
    const first = r.stderr.split("\n")[0]!;
    expect({ args, code: r.code, stdout: r.stdout }).toEqual({ args, code, stdout: "" });
    if (typeof message === "string") expect({ args, first }).toEqual({ args, first: `rr: ${message}` });
    else expect({ args, first }).toEqual({ args, first: expect.stringMatching(message) });
    return r;
  };
  const allNames = () => ok(["ps", "-a", "--format", "{{.Names}}"]).split("\n").filter(Boolean);
  /** Asserts no container by that name exists and the name can be used again. */
  const leftNothing = (name: string) => {
    expect({ name, listed: allNames().includes(name) }).toEqual({ name, listed: false });
    ok(["create", "--name", name, "busybox"]);
    ok(["rm", name]);
  };

  /**
   * After a run that failed while starting: Docker leaves the container "Created"
   * (rr's design says it should not exist at all); either is fine, "Exited (125)" is not.
   */
  const leftAtMostCreated = (name: string) => {
    const status = ok(["ps", "-a", "--filter", `name=^${name}$`, "--format", "{{.Status}}"]).trim();
    expect({ name, status }).toEqual({ name, status: expect.stringMatching(/^(|Created)$/) });
    rr(["rm", "-f", name]);
  };

  beforeAll(() => {
    sb = new Sandbox();
    sb.ok(mode, ["load", "-i", writeFixtures(sb).busybox]);
    sb.ok(mode, ["network", "create", "--subnet", "10.89.0.0/16", "errnet"]);
    sb.ok(mode, ["run", "-d", "--name", "holder1", "--net", "errnet", "--ip", "10.89.0.5", "busybox", "sleep", "600"]);
  });
  afterAll(() => {
    const ids = sb?.rr(mode, ["ps", "-aq"]).stdout.split("\n").filter(Boolean) ?? [];
    if (ids.length) sb.rr(mode, ["rm", "-f", ...ids]);
    sb?.cleanup();
  });

  test("network ls --format with a field a network row lacks: exit 1, the fields it has", () => {
    const r = rr(["network", "ls", "--format", "table {{.Name}}\t{{.Subnet}}"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("rr: template: can't evaluate field Subnet\nThe fields are CreatedAt, Driver, ID, IPv6, Internal, Label, Labels, Name, Scope.\n");
  });

  test("network create: an overlapping subnet and an invalid CIDR are refused and create nothing", () => {
    fails(["network", "create", "--subnet", "10.89.7.0/24", "inner"], 1, "subnet 10.89.7.0/24 overlaps with network errnet (10.89.0.0/16)");
    fails(["network", "create", "--subnet", "10.0.0.0/8", "outer"], 1, /^rr: subnet 10\.0\.0\.0\/8 overlaps with /);
    fails(["network", "create", "--subnet", "10.90.0.0/40", "badcidr"], 1, 'invalid subnet "10.90.0.0/40": use an IPv4 CIDR like 172.18.0.0/16');
    fails(["network", "create", "--subnet", "10.90.0.300/24", "badcidr"], 1, /^rr: invalid subnet "10\.90\.0\.300\/24"/);
    const names = ok(["network", "ls", "--format", "{{.Name}}"]).split("\n");
    for (const n of ["inner", "outer", "badcidr"]) expect(names).not.toContain(n);
  });

  test("--ip outside the subnet, taken (running or stopped holder), or the gateway: exit 125 and no container", () => {
    fails(["run", "--name", "outside", "--net", "errnet", "--ip", "10.90.0.5", "busybox", "true"], 125, "IP address 10.90.0.5 is not in network errnet's subnet 10.89.0.0/16");
    leftNothing("outside");
    fails(["run", "-d", "--name", "taken", "--net", "errnet", "--ip", "10.89.0.5", "busybox", "sleep", "60"], 125, "IP address 10.89.0.5 is already in use by container holder1");
    leftNothing("taken");
    fails(["create", "--name", "taken", "--net", "errnet", "--ip", "10.89.0.5", "busybox"], 125, "IP address 10.89.0.5 is already in use by container holder1");
    leftNothing("taken");
    fails(["run", "--name", "gw", "--net", "errnet", "--ip", "10.89.0.1", "busybox", "true"], 125, "IP address 10.89.0.1 is the gateway of network errnet");
    leftNothing("gw");
    fails(["run", "--name", "badip", "--net", "errnet", "--ip", "10.89.0.999", "busybox", "true"], 125, /^rr: .*10\.89\.0\.999/);
    leftNothing("badip");

    // a stopped container keeps its address: still taken
    ok(["run", "-d", "--name", "sleeper", "--net", "errnet", "--ip", "10.89.0.6", "busybox", "sleep", "600"]);
    ok(["stop", "-t", "0", "sleeper"]);
    fails(["run", "--name", "thief", "--net", "errnet", "--ip", "10.89.0.6", "busybox", "true"], 125, "IP address 10.89.0.6 is already in use by container sleeper");
    leftNothing("thief");
    ok(["start", "sleeper"]);
    expect(ok(["inspect", "-f", "{{.NetworkSettings.Networks.errnet.IPAddress}}", "sleeper"]).trim()).toBe("10.89.0.6");
    // removed, its address is free again
    ok(["rm", "-f", "sleeper"]);
    ok(["run", "--rm", "--net", "errnet", "--ip", "10.89.0.6", "busybox", "true"]);
  });

  test("two runs racing for one --ip: exactly one gets it", async () => {
    const procs = ["race1", "race2", "race3"].map((name) => {
      const { argv, env } = sb.command(mode, ["run", "-d", "--name", name, "--net", "errnet", "--ip", "10.89.0.77", "busybox", "sleep", "600"]);
      return Bun.spawn(argv, { env, stdout: "pipe", stderr: "pipe" });
    });
    const codes = await Promise.all(procs.map((p) => p.exited));
    expect(codes.filter((c) => c === 0)).toHaveLength(1);
    expect(codes.filter((c) => c === 125)).toHaveLength(2);
    const winners = allNames().filter((n) => n.startsWith("race"));
    expect(winners).toHaveLength(1);
    expect(ok(["inspect", "-f", "{{.NetworkSettings.Networks.errnet.IPAddress}}", winners[0]!]).trim()).toBe("10.89.0.77");
    ok(["rm", "-f", winners[0]!]);
  });

  test("an unknown network, --ip or --network-alias without a user network: exit 125 and no container", () => {
    fails(["run", "--name", "lost", "--net", "nosuch", "busybox", "true"], 125, "network nosuch not found");
    leftNothing("lost");
    fails(["create", "--name", "lost", "--network", "nosuch", "busybox"], 125, "network nosuch not found");
    leftNothing("lost");
    for (const net of [[], ["--net", "bridge"], ["--net", "none"], ["--net", "host"]]) {
      const r = rr(["run", "--name", "noip", ...net, "--ip", "10.89.0.50", "busybox", "true"]);
      expect({ net, code: r.code, stderr: r.stderr }).toEqual({ net, code: 125, stderr: expect.stringMatching(/^rr: user specified IP address .*user.defined networks/) });
      leftNothing("noip");
    }
    fails(["run", "--name", "noalias", "--network-alias", "x", "busybox", "true"], 125, /^rr: .*network aliases .*user.defined networks/);
    leftNothing("noalias");
    fails(["run", "--name", "badslirp", "--net", "slirp4netns:bogus=1", "busybox", "true"], 125, 'unknown slirp4netns option "bogus=1"');
    leftNothing("badslirp");
  });

  test("a host port in use: exit 125 naming the port, the command never runs, nothing is held afterwards", () => {
    const held = holdPort();
    try {
      for (const [name, args] of [
        ["busy1", ["run", "-d", "-p", `127.0.0.1:${held.port}:80`, "busybox", "sleep", "60"]],
        ["busy2", ["run", "--net", "errnet", "-p", `127.0.0.1:${held.port}:80`, "busybox", "echo", "should-not-run"]],
      ] as const) {
        const r = fails([args[0], "--name", name, ...args.slice(1)], 125, `port ${held.port}/tcp is already in use on 127.0.0.1`);
        expect(r.stderr).not.toContain("should-not-run");
        expect(ok(["ps", "--filter", `name=^${name}$`, "--format", "{{.Names}}"])).toBe("");
        rr(["rm", "-f", name]);
      }
      // a created container whose port is taken when it starts: start fails and it does not run
      ok(["create", "--name", "later", "-p", `127.0.0.1:${held.port}:80`, "busybox", "sleep", "60"]);
      const start = rr(["start", "later"]);
      expect(start.code).toBe(1);
      expect(start.stderr).toContain(`port ${held.port}/tcp is already in use`);
      expect(ok(["ps", "-a", "--filter", "name=^later$", "--format", "{{.State}}"]).trim()).not.toBe("running");
      rr(["rm", "-f", "later"]);
    } finally {
      held.stop();
    }
    expect(portIsFree(held.port)).toBe(true);

    // two ports, the second in use: the first is not left bound
    const second = holdPort();
    const firstPort = holdPort();
    firstPort.stop();
    try {
      fails(["run", "--name", "half", "-p", `127.0.0.1:${firstPort.port}:80`, "-p", `127.0.0.1:${second.port}:81`, "busybox", "true"], 125,
        `port ${second.port}/tcp is already in use on 127.0.0.1`);
      expect(portIsFree(firstPort.port)).toBe(true);
    } finally {
      second.stop();
    }
    rr(["rm", "-f", "half"]);
  });

  test("a run that fails while starting (host port in use, container:NAME stopped) leaves no \"Exited (125)\" container", () => {
    const held = holdPort();
    try {
      fails(["run", "-d", "--name", "busy3", "-p", `127.0.0.1:${held.port}:80`, "busybox", "sleep", "60"], 125, `port ${held.port}/tcp is already in use on 127.0.0.1`);
    } finally {
      held.stop();
    }
    ok(["create", "--name", "idle0", "busybox", "sleep", "60"]);
    fails(["run", "--name", "joiner0", "--network", "container:idle0", "busybox", "true"], 125, "cannot join the network of container idle0: it is not running");
    ok(["rm", "idle0"]);
    leftAtMostCreated("busy3");
    leftAtMostCreated("joiner0");
  });

  test("-p with --network none or container:NAME is a conflict: exit 125, no container", () => {
    fails(["run", "--name", "pnone", "--network", "none", "-p", "8080:80", "busybox", "true"], 125, 'conflicting options: port publishing and the network mode "none"');
    leftNothing("pnone");
    fails(["run", "--name", "pshare", "--network", "container:holder1", "-p", "8080:80", "busybox", "true"], 125, 'conflicting options: port publishing and the network mode "container:holder1"');
    leftNothing("pshare");
    fails(["run", "--name", "pshare", "--network", "container:holder1", "-P", "--expose", "80", "busybox", "true"], 125, /^rr: conflicting options: port publishing/);
    leftNothing("pshare");
  });

  test("container:NAME with options that would change the shared name and resolver files: Docker's conflicts, exit 125, no container", () => {
    const conflicts: [string[], string][] = [
      [["--hostname", "h"], "hostname"], [["-h", "h"], "hostname"], [["--dns", "10.0.0.1"], "dns"], [["--dns-search", "x.example"], "dns"],
      [["--dns-option", "ndots:2"], "dns"], [["--add-host", "a:10.0.0.1"], "custom host-to-IP mapping"], [["--expose", "80"], "port exposing"],
    ];
    for (const [flags, what] of conflicts) {
      fails(["run", "--name", "cshare", "--network", "container:holder1", ...flags, "busybox", "true"], 125,
        `conflicting options: ${what} and the network mode "container:holder1"`);
      fails(["create", "--name", "cshare", "--network", "container:holder1", ...flags, "busybox", "true"], 125,
        new RegExp(`^rr: conflicting options: ${what} and the network mode`));
      leftNothing("cshare");
    }
  });

  test("--add-host without an IP and --dns that is no address: Docker's flag errors, exit 125, no container", () => {
    fails(["run", "--name", "badhost", "--add-host", "foo:notip", "busybox", "true"], 125, 'invalid argument "foo:notip" for "--add-host" flag: invalid IP address in add-host: "notip"');
    fails(["create", "--name", "badhost", "--dns", "bogus", "busybox", "true"], 125, 'invalid argument "bogus" for "--dns" flag: bogus is not an ip address');
    leftNothing("badhost");
  });

  test("-p with --network none: the hint fits (there is no other container to publish on)", () => {
    expect(rr(["run", "--rm", "--network", "none", "-p", "8080:80", "busybox", "true"]).stderr).not.toContain("the container whose network this one uses");
  });

  test("-p with --network host is discarded with Docker's warning", () => {
    const host = rr(["run", "--rm", "--network", "host", "-p", "127.0.0.1:8080:80", "busybox", "echo", "ran"]);
    expect(host.code).toBe(0);
    expect(host.stdout).toBe("ran\n");
    expect(host.stderr).toMatch(/published ports are discarded when using host network mode/i);
  });

  test("bad -p syntax: exit 125, the bad part named, no container", () => {
    const cases: [string, RegExp][] = [
      ["80:80:80:80", /^rr: invalid /],
      ["abc", /^rr: invalid containerPort: abc$/],
      ["70000", /^rr: invalid containerPort: 70000$/],
      ["127.0.0.1:x:80", /^rr: invalid hostPort: x$/],
      ["80/bogus", /^rr: invalid proto: bogus$/],
      ["1.2.3.4.5:80:80", /^rr: invalid IP address: 1\.2\.3\.4\.5$/],
      ["8080-8082:80-81", /^rr: invalid ranges specified for container and host Ports/i],
      ["", /^rr: /],
    ];
    for (const [spec, message] of cases) {
      fails(["run", "--name", "badp", "-p", spec, "busybox", "true"], 125, message);
      leftNothing("badp");
    }
  });

  test("container:NAME that is stopped or missing: exit 125 and no container", () => {
    ok(["create", "--name", "idle", "busybox", "sleep", "60"]);
    fails(["run", "--name", "joiner", "--network", "container:idle", "busybox", "true"], 125, "cannot join the network of container idle: it is not running");
    rr(["rm", "-f", "joiner"]);
    fails(["run", "--name", "joiner", "--network", "container:nosuch", "busybox", "true"], 125, "No such container: nosuch");
    leftNothing("joiner");
    fails(["run", "--name", "joiner", "--network", "container:", "busybox", "true"], 125, /^rr: /);
    leftNothing("joiner");
    ok(["rm", "idle"]);
  });

  test("network connect of a running container with a taken --ip adds no interface", () => {
    ok(["network", "create", "--subnet", "10.88.0.0/24", "side"]);
    ok(["run", "-d", "--name", "side1", "--net", "side", "--ip", "10.88.0.10", "busybox", "sleep", "600"]);
    const links = ok(["exec", "holder1", "ip", "-o", "link"]);
    fails(["network", "connect", "--ip", "10.88.0.10", "side", "holder1"], 1, "IP address 10.88.0.10 is already in use by container side1");
    expect(ok(["exec", "holder1", "ip", "-o", "link"])).toBe(links);
    expect(ok(["inspect", "-f", "{{len .NetworkSettings.Networks}}", "holder1"]).trim()).toBe("1");
    ok(["rm", "-f", "side1"]);
    ok(["network", "rm", "side"]);
  });
});
