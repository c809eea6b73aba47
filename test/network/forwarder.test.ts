/**
 * The published-port forwarder (`rr-monitor -F`, ffi/forward*.c) with the
 * sockets from bindPorts, as root and as the unprivileged test account:
 * fixtures/forward-driver.ts (run as that user) makes a network namespace
 * with services on its 127.0.0.1 and forwards host 127.0.0.1 ports into it.
 * Traffic stays on loopback and in that namespace.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { forwarderArgs } from "../../src/network/port-forwarder.ts";
import { IS_ROOT, TEST_USER, userIds } from "../helpers/rr.ts";

const REPO = join(import.meta.dir, "..", "..");
// RR_MONITOR: test another build (never rebuilt here)
const MONITOR = process.env.RR_MONITOR ?? join(REPO, "ffi", "rr-monitor");
const DRIVER = join(import.meta.dir, "fixtures", "forward-driver.ts");

interface ErrorInfo { message: string; hint?: string; name: string }
interface Setup {
  serverPid: number;
  pids: number[];
  ports: Record<"echo" | "refused" | "digest" | "udp" | "echoRw" | "echoRaw" | "udpIdle" | "udpLru", number>;
  errors: Record<"inUse" | "lowPort" | "badIp" | "notHere" | "badNs", ErrorInfo | undefined>;
}

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** Sends `data`, half-closes, and collects everything until the other side ends. */
function exchange(port: number, data: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect({ port, host: "127.0.0.1", allowHalfOpen: true }, () => s.end(data));
    s.on("data", (d: Buffer) => chunks.push(d));
    s.on("end", () => {
      resolve(Buffer.concat(chunks));
      s.destroy();
    });
    s.on("error", reject);
  });
}

function udpEcho(port: number, msg: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createSocket("udp4");
    const timer = setTimeout(() => (s.close(), reject(new Error("no udp reply"))), 3000);
    s.on("message", (m) => {
      clearTimeout(timer);
      s.close();
      resolve(m.toString());
    });
    s.send(msg, port, "127.0.0.1");
  });
}

/** One client address (a socket kept open) asking a udp port; each answer is a reply's text. */
async function udpClient() {
  const s = createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
  let waiting: ((m: string) => void) | undefined;
  s.on("message", (m) => waiting?.(m.toString()));
  return {
    ask(port: number): Promise<string> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no udp reply")), 3000);
        waiting = (m) => { clearTimeout(timer); resolve(m); };
        s.send("who", port, "127.0.0.1");
      });
    },
    close: () => s.close(),
  };
}

/** Lines from a child's stdout, one at a time. */
function lineReader(stream: ReadableStream<Uint8Array>) {
  const reader = stream.getReader();
  let buf = "";
  return async (): Promise<string> => {
    for (;;) {
      const nl = buf.indexOf("\n");
      if (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        return line;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error(`driver ended: ${buf}`);
      buf += new TextDecoder().decode(value);
    }
  };
}

describe("forwarderArgs()", () => {
  test("numbers the fds as the child sees them (3, 4, …) and brackets IPv6 targets", () => {
    const ports = [
      { fd: 40, spec: { hostIp: "127.0.0.1", hostPort: 8080, containerPort: 80, proto: "tcp" as const } },
      { fd: 41, spec: { hostIp: "0.0.0.0", hostPort: 5353, containerPort: 53, proto: "udp" as const } },
    ];
    expect(forwarderArgs({ ports, target: { userFd: 11, netFd: 12, ip: "10.88.0.2" }, lifelineFd: 10 }, 13)).toEqual({
      args: ["-F", "-l", "3", "-u", "4", "-n", "5", "-s", "6", "-t", "7:10.88.0.2:80", "-U", "8:10.88.0.2:53"],
      fds: [10, 11, 12, 13, 40, 41],
    });
    expect(forwarderArgs({ ports: ports.slice(0, 1), target: { netFd: 12, ip: "fd00::2" }, lifelineFd: 10, readWrite: true }).args)
      .toEqual(["-F", "-l", "3", "-n", "4", "-R", "-t", "5:[fd00::2]:80"]);
    expect(forwarderArgs({ ports: ports.slice(1), target: { netFd: 12, ip: "10.88.0.2" }, lifelineFd: 10, udpFlows: { idleMs: 500, max: 8 } }).args)
      .toEqual(["-F", "-l", "3", "-n", "4", "-i", "500", "-c", "8", "-U", "5:10.88.0.2:53"]);
  });
});

const skip = !IS_ROOT ? "needs root (to act as root and as the test account)" :
  !existsSync("/bin/busybox") ? "needs /bin/busybox" : undefined;

describe.skipIf(!!skip)(`rr-monitor -F${skip ? ` — skipped: ${skip}` : ""}`, () => {
  beforeAll(() => {
    if (process.env.RR_MONITOR) return;
    const r = Bun.spawnSync(["make", "-s", "-C", join(REPO, "ffi"), "rr-monitor"], { stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`make rr-monitor: ${r.stderr}`);
  });

  test("refuses a bad command line with status 2", () => {
    for (const args of [[], ["-l", "0"], ["-l", "0", "-n", "0", "-t", "1:nowhere:80"], ["-l", "0", "-n", "0", "-t", "0:127.0.0.1:80"]]) {
      const r = Bun.spawnSync([MONITOR, "-F", ...args], { stderr: "pipe" });
      expect(r.exitCode).toBe(2);
    }
  });

  const modes = ["root", ...(userIds() ? ["rootless"] : [])] as const;
  describe.each(modes)("as %s", (mode) => {
    let driver: ReturnType<typeof Bun.spawn<"pipe", "pipe", "inherit">>;
    let next: () => Promise<string>;
    let s: Setup;
    let home: string | undefined;

    beforeAll(async () => {
      const bun = process.execPath;
      let argv = [bun, DRIVER, MONITOR];
      if (mode === "rootless") {
        home = mkdtempSync(join(tmpdir(), "rr-fwd-"));
        chownSync(home, userIds()!.uid, userIds()!.gid);
        argv = ["setpriv", `--reuid=${TEST_USER}`, `--regid=${TEST_USER}`, "--init-groups", "--reset-env",
          "env", "-i", "PATH=/usr/bin:/bin", `HOME=${home}`, "BUN_RUNTIME_TRANSPILER_CACHE_PATH=0", ...argv];
      }
      driver = Bun.spawn(argv, { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
      next = lineReader(driver.stdout);
      s = JSON.parse(await next());
    });
    afterAll(async () => {
      driver?.stdin.end();
      await driver?.exited;
      for (const pid of s?.pids ?? []) {
        // a forwarder that outlived its lifeline (a failed test) is ours to end
        if (existsSync(`/proc/${pid}/fd`) && readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("\0-F\0")) process.kill(pid, 9);
      }
      if (home) rmSync(home, { recursive: true, force: true });
    });

    // first, while no connection is open: the fds are exactly the ones given
    test("keeps no fd but stdio, the lifeline and its sockets", () => {
      const socketsOf = [4, 1, 1, 1, 1]; // splice: 3 tcp + 1 udp; read/write: 1; raw: 1; udp idle: 1; udp lru: 1
      s.pids.forEach((pid, i) => {
        const fds = readdirSync(`/proc/${pid}/fd`).map(Number).sort((a, b) => a - b);
        const links = fds.map((fd) => readlinkSync(`/proc/${pid}/fd/${fd}`));
        // stdin and stdout are /dev/null (the raw one's stderr is the driver's)
        expect(links.slice(0, i === 2 ? 2 : 3).every((l) => l === "/dev/null")).toBe(true);
        expect(links.slice(3).filter((l) => l.startsWith("pipe:")).length).toBe(1); // the lifeline
        expect(links.slice(3).filter((l) => l.startsWith("socket:")).length).toBe(socketsOf[i]!);
        expect(fds.length).toBe(4 + socketsOf[i]!); // no namespace, status or stray (fd 9) left
      });
    });

    test("relays 10 MB both ways byte for byte (splice and read/write)", async () => {
      const data = randomBytes(10 << 20);
      for (const port of [s.ports.echo, s.ports.echoRw]) {
        const got = await exchange(port, data);
        expect(got.length).toBe(data.length);
        expect(sha(got)).toBe(sha(data));
      }
    }, 60000);

    test("passes a half-close on: the reply sent after EOF arrives", async () => {
      const data = randomBytes(1 << 20);
      expect((await exchange(s.ports.digest, data)).toString()).toBe(`${data.length} ${sha(data)}`);
    });

    test("serves 50 connections at once", async () => {
      const payloads = Array.from({ length: 50 }, () => randomBytes(64 << 10));
      const got = await Promise.all(payloads.map((p) => exchange(s.ports.echo, p)));
      got.forEach((g, i) => expect(sha(g)).toBe(sha(payloads[i]!)));
    }, 60000);

    test("relays udp datagrams both ways, per client", async () => {
      const replies = await Promise.all(["one", "two", "three"].map((m) => udpEcho(s.ports.udp, `ping ${m}`)));
      expect(replies).toEqual(["ping one", "ping two", "ping three"]);
    });

    // the target answers with the port of the flow socket each datagram came from
    test("a udp flow idle past its time (-i) is dropped: the client's next datagram gets a new one", async () => {
      const c = await udpClient();
      try {
        const first = await c.ask(s.ports.udpIdle);
        expect(await c.ask(s.ports.udpIdle)).toBe(first); // within 300 ms: the same flow
        await Bun.sleep(900);
        expect(await c.ask(s.ports.udpIdle)).not.toBe(first);
      } finally {
        c.close();
      }
    });

    test("past the flow cap (-c 2) the least recently used flow goes, the others stay", async () => {
      const [a, b, c] = await Promise.all([udpClient(), udpClient(), udpClient()]);
      try {
        const portA = await a.ask(s.ports.udpLru);
        const portB = await b.ask(s.ports.udpLru);
        expect(await a.ask(s.ports.udpLru)).toBe(portA); // a is now the more recent
        await c.ask(s.ports.udpLru); // a third flow: b (least recently used) is dropped
        expect(await a.ask(s.ports.udpLru)).toBe(portA);
        expect(await b.ask(s.ports.udpLru)).not.toBe(portB);
      } finally {
        for (const x of [a, b, c]) x.close();
      }
    });

    test("a refused connect inside closes the client and nothing else", async () => {
      const got = await new Promise<{ data: number; closed: boolean }>((resolve) => {
        let data = 0;
        const c = connect({ port: s.ports.refused, host: "127.0.0.1" });
        c.on("data", (d) => (data += d.length));
        c.on("error", () => {});
        c.on("close", () => resolve({ data, closed: true }));
      });
      expect(got).toEqual({ data: 0, closed: true });
      expect((await exchange(s.ports.echo, Buffer.from("still here"))).toString()).toBe("still here");
      expect((await exchange(s.ports.echoRaw, Buffer.from("raw too"))).toString()).toBe("raw too");
    });

    test("bindPorts reports a taken port, and rootless low ports, in words", () => {
      expect(s.errors.inUse).toEqual({
        name: "ConflictError",
        message: `port ${s.ports.echo}/tcp is already in use on 127.0.0.1`,
        hint: "Choose another host port with -p HOSTPORT:7000, or stop what uses it.",
      });
      if (mode === "rootless") {
        expect(s.errors.lowPort?.message).toBe("cannot publish 127.0.0.1:1/tcp: ports below 1024 need privileges");
        expect(s.errors.lowPort?.hint).toContain("sysctl -w net.ipv4.ip_unprivileged_port_start=1");
      }
      expect(s.errors.badIp?.message).toBe("invalid IP address: 300.1.2.3");
      expect(s.errors.notHere?.message).toBe("cannot publish on 192.0.2.1: no interface of this host has that address");
    });

    test("a forwarder that cannot enter the namespace fails its start", () => {
      expect(s.errors.badNs?.message).toBe("port forwarder: cannot enter the container's network namespace: Invalid argument");
    });

    // last: it ends the forwarders
    test("exits when the lifeline's write end closes", async () => {
      driver.stdin.write("close\n");
      driver.stdin.flush();
      expect(JSON.parse(await next())).toEqual({ exited: [true, true, true, true, true] });
    });
  });
});
