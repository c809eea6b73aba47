/**
 * The wiring functions against real namespaces, as root and as the
 * unprivileged rrtest: a "holder" (root: a network namespace; rootless: a
 * user+network namespace) and "containers" (network namespaces; rootless:
 * made by processes that joined the holder's user namespace, as rr's do).
 * Traffic only flows between namespaces this test made.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, openSync, readlinkSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { macForIp } from "../../src/network/link-setup.ts";
import type { NlMessage } from "../../src/network/netlink.ts";
import { CLONE_NEWNET, NetlinkScript } from "../../src/network/netlink-script.ts";
import { NETLINK_NETFILTER, holderRules } from "../../src/network/nft-rules.ts";
import { IS_ROOT, TEST_USER, userIds } from "../helpers/rr.ts";

const DRIVER = join(import.meta.dir, "link-setup-driver.ts");
const modes = IS_ROOT ? (userIds() ? ["root", "rootless"] : ["root"]) : ["rootless"];
const AS_USER = IS_ROOT ? ["setpriv", `--reuid=${TEST_USER}`, `--regid=${TEST_USER}`, "--init-groups"] : [];

type Mode = "root" | "rootless";
const spawned: Bun.Subprocess[] = [];

/** Starts a sleeper that holds namespaces; resolves once it has exec'd sleep (its namespaces are ready). */
async function sleeper(argv: string[]): Promise<number> {
  const p = Bun.spawn([...argv, "sleep", "60"], { stdin: "ignore", stdout: "ignore", stderr: "inherit" });
  spawned.push(p);
  for (let i = 0; i < 200; i++) {
    try {
      if (readFileSync(`/proc/${p.pid}/comm`, "utf8").trim() === "sleep") return p.pid;
    } catch {}
    await Bun.sleep(5);
  }
  throw new Error(`${argv.join(" ")} did not start`);
}

/**
 * argv that runs cmd inside pid's network namespace; rootless, as rrtest inside
 * its user namespace too (there rrtest is root, as nft insists, and ids read
 * from /proc/sys are the container's view).
 */
function inNet(pid: number, cmd: string[], mode: Mode): string[] {
  if (mode === "root") return ["nsenter", "-t", String(pid), "-n", "--", ...cmd];
  return [...AS_USER, "nsenter", "-t", String(pid), "-U", "--preserve-credentials", "-n", "--", ...cmd];
}

function sh(argv: string[]): string {
  const r = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${argv.join(" ")}: exit ${r.exitCode}: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

interface Pids { user?: number; net: number }
interface Call { fn: string; holder: Pids; container?: Pids; arg: unknown }

function drive(mode: Mode, calls: Call[]): ({ ok: true } | { error: string })[] {
  const argv = [...(mode === "rootless" ? AS_USER : []), process.execPath, DRIVER, JSON.stringify({ calls })];
  return JSON.parse(sh(argv));
}

/** A TCP exchange from one namespace to a listener in another: what each side received, "" on failure. */
async function tcp(mode: Mode, from: number, to: number, ip: string, port: number, waitSeconds = 2): Promise<{ client: string; server: string }> {
  const server = Bun.spawn(inNet(to, ["timeout", String(waitSeconds + 1), "busybox", "sh", "-c", `echo from-server | busybox nc -l -p ${port}`], mode), {
    stdin: "ignore", stdout: "pipe", stderr: "ignore",
  });
  let client = "";
  const until = Date.now() + waitSeconds * 1000;
  while (!client && Date.now() < until) {
    await Bun.sleep(30);
    const c = Bun.spawnSync(inNet(from, ["timeout", String(waitSeconds), "busybox", "sh", "-c", `echo from-client | busybox nc ${ip} ${port}`], mode), { stdout: "pipe", stderr: "pipe" });
    client = c.stdout.toString().trim();
    if (!client && c.exitCode === 124) break; // a drop, not a refusal: no point retrying
  }
  if (!client) server.kill(); // else it ends by itself once it has printed what it got
  await server.exited;
  return { client, server: (await new Response(server.stdout).text()).trim() };
}

afterAll(async () => {
  for (const p of spawned) p.kill("SIGKILL");
  await Promise.all(spawned.map((p) => p.exited));
});

for (const mode of modes as Mode[]) {
  describe(`link setup (${mode})`, () => {
    let H = 0, C1 = 0, C2 = 0, C3 = 0;
    let holder: Pids, c1: Pids, c2: Pids, c3: Pids;
    let first: ({ ok: true } | { error: string })[] = [];
    const pingRange = mode === "root" ? "0 2147483647" : "0 0";
    const br1 = { name: "rr-t1", gateway: "172.29.0.1", prefix: 24, mac: "02:42:ac:1d:00:01", internal: false };
    const br2 = { name: "rr-t2", gateway: "172.28.0.1", prefix: 24, mac: "02:42:ac:1c:00:01", internal: false };
    const br3 = { name: "rr-t3", gateway: "172.27.0.1", prefix: 24, mac: "02:42:ac:1b:00:01", internal: true };
    const ep = (bridge: string, hostIf: string, ip: string, gateway: string) =>
      ({ bridge, hostIf, ifName: "eth0", ip, prefix: 24, mac: macForIp(ip), gateway, pingGroupRange: pingRange });

    beforeAll(async () => {
      if (mode === "root") {
        H = await sleeper(["unshare", "-n"]);
        [C1, C2, C3] = await Promise.all([1, 2, 3].map(() => sleeper(["unshare", "-n"])));
        holder = { net: H };
      } else {
        H = await sleeper([...AS_USER, "unshare", "--user", "--map-root-user", "--net"]);
        [C1, C2, C3] = await Promise.all([1, 2, 3].map(() => sleeper([...AS_USER, "nsenter", "-t", String(H), "-U", "--preserve-credentials", "--", "unshare", "-n"])));
        holder = { user: H, net: H };
        expect(readlinkSync(`/proc/${C1}/ns/user`)).toBe(readlinkSync(`/proc/${H}/ns/user`));
      }
      const own = (pid: number): Pids => (mode === "root" ? { net: pid } : { user: pid, net: pid });
      [c1, c2, c3] = [own(C1), own(C2), own(C3)];
      expect(new Set([H, C1, C2, C3].map((p) => readlinkSync(`/proc/${p}/ns/net`))).size).toBe(4);

      first = drive(mode, [
        { fn: "setupHolderNat", holder, arg: "tap0" },
        { fn: "setupHolderNat", holder, arg: "tap0" },
        { fn: "ensureBridge", holder, arg: br1 },
        { fn: "ensureBridge", holder, arg: br1 },
        { fn: "ensureBridge", holder, arg: br3 },
        { fn: "attachEndpoint", holder, container: c1, arg: ep("rr-t1", "rv-c1", "172.29.0.2", "172.29.0.1") },
        { fn: "attachEndpoint", holder, container: c2, arg: { ...ep("rr-t1", "rv-c2", "172.29.0.3", "172.29.0.1"), pingGroupRange: "0 4294967295" } },
        { fn: "attachEndpoint", holder, container: c2, arg: ep("rr-t1", "rv-c2", "172.29.0.3", "172.29.0.1") },
        // the start path: bridge and endpoint in one script (rr-t2 is made by the first, which then fails at the route)
        { fn: "connectToBridge", holder, container: c3, arg: [br2, ep("rr-t2", "rv-c3", "172.28.0.2", "10.1.1.1")] },
        { fn: "connectToBridge", holder, container: c3, arg: [br2, ep("rr-t2", "rv-c3", "172.28.0.2", "172.28.0.1")] },
        { fn: "attachEndpoint", holder, container: c3, arg: ep("rr-nope", "rv-c9", "172.28.0.9", "172.28.0.1") },
      ]);
    });

    test("every call succeeds, repeated ones too; failures name their step", () => {
      expect(first).toEqual([
        { ok: true }, { ok: true }, { ok: true }, { ok: true }, { ok: true }, { ok: true },
        { error: 'set net.ipv4.ping_group_range to "0 4294967295": Invalid argument' },
        { ok: true },
        { error: "add the default route via 10.1.1.1 in the container: Network is unreachable (Nexthop has invalid gateway)" },
        { ok: true },
        { error: "find bridge rr-nope: No such device" },
      ]);
    });

    test("the holder has the bridges, up, with their MAC and gateway, and the host ends enslaved", () => {
      const links = sh(inNet(H, ["ip", "-o", "link"], mode));
      expect(links).toMatch(/rr-t1: <[^>]*\bUP\b[^>]*>.* link\/ether 02:42:ac:1d:00:01/);
      expect(links).toMatch(/rv-c1@if\d+: <[^>]*\bUP\b[^>]*>.* master rr-t1 /);
      expect(links).toMatch(/rv-c2@if\d+: .* master rr-t1 /);
      expect(links).toMatch(/rv-c3@if\d+: .* master rr-t2 /);
      expect(links).not.toContain("rv-c9");
      const addrs = sh(inNet(H, ["ip", "-o", "-4", "addr"], mode));
      expect(addrs).toMatch(/rr-t1\s+inet 172\.29\.0\.1\/24/);
      expect(addrs.match(/172\.29\.0\.1\/24/g)?.length).toBe(1); // the repeated ensureBridge added nothing
      expect(sh(inNet(H, ["cat", "/proc/sys/net/ipv4/ip_forward"], mode)).trim()).toBe("1");
      expect(sh(inNet(H, ["cat", "/proc/sys/net/ipv4/conf/rr-t3/forwarding"], mode)).trim()).toBe("0");
      expect(sh(inNet(H, ["cat", "/proc/sys/net/ipv4/conf/rr-t1/forwarding"], mode)).trim()).toBe("1");
    });

    test("the containers have eth0 up with address, MAC, default route and sysctls", () => {
      expect(sh(inNet(C1, ["ip", "-o", "-4", "addr", "show", "dev", "eth0"], mode))).toContain("inet 172.29.0.2/24");
      expect(sh(inNet(C2, ["ip", "-o", "-4", "addr", "show", "dev", "eth0"], mode))).toContain("inet 172.29.0.3/24");
      expect(sh(inNet(C1, ["ip", "-o", "link", "show", "dev", "eth0"], mode))).toMatch(/<[^>]*\bUP\b[^>]*>.* link\/ether 02:42:ac:1d:00:02/);
      expect(sh(inNet(C1, ["ip", "-o", "link", "show", "dev", "lo"], mode))).toMatch(/<[^>]*\bUP\b/);
      expect(sh(inNet(C1, ["ip", "route"], mode))).toContain("default via 172.29.0.1 dev eth0");
      const sysctl = (pid: number, name: string) => sh(inNet(pid, ["cat", `/proc/sys/net/${name}`], mode)).trim().replace(/\s+/g, " ");
      expect(sysctl(C1, "ipv4/ip_unprivileged_port_start")).toBe("0");
      expect(sysctl(C1, "ipv4/ping_group_range")).toBe(pingRange);
      expect(sysctl(C1, "ipv4/conf/eth0/arp_notify")).toBe("1");
      expect(sysctl(C1, "ipv6/conf/eth0/disable_ipv6")).toBe("1");
    });

    test("the holder's nftables table is in place, once", () => {
      const rules = sh(inNet(H, ["nft", "list", "table", "ip", "rr"], mode));
      expect(rules).toContain('oifname "tap0" masquerade');
      expect(rules).toContain('iifname "rr-*" oifname "rr-*" drop');
      expect(rules.match(/masquerade/g)?.length).toBe(1);
    });

    test("containers on one bridge talk TCP; routing between bridges is dropped until the rules go", async () => {
      expect(await tcp(mode, C1, C2, "172.29.0.3", 9000)).toEqual({ client: "from-server", server: "from-client" });
      expect((await tcp(mode, C3, C1, "172.29.0.2", 9001, 1)).client).toBe("");
      sh(inNet(H, ["nft", "delete", "table", "ip", "rr"], mode)); // the control: now only the rule was missing
      expect(await tcp(mode, C3, C1, "172.29.0.2", 9002)).toEqual({ client: "from-server", server: "from-client" });
    });

    test("detach removes the pair, and repeating it is fine", () => {
      expect(drive(mode, [
        { fn: "detachEndpoint", holder, arg: "rv-c1" },
        { fn: "detachEndpoint", holder, arg: "rv-c1" },
      ])).toEqual([{ ok: true }, { ok: true }]);
      expect(sh(inNet(H, ["ip", "-o", "link"], mode))).not.toContain("rv-c1");
      expect(sh(inNet(C1, ["ip", "-o", "link"], mode))).not.toContain("eth0");
    });

    if (mode === "root") {
      test("a failing nftables batch names its message and leaves nothing behind", () => {
        const all = holderRules("tap0").bytes, v = new DataView(all.buffer);
        const msgs: NlMessage[] = [];
        for (let off = 0; off < all.length; off += v.getUint32(off, true)) msgs.push({ bytes: all.slice(off, off + v.getUint32(off, true)), patches: [] });
        const fd = openSync(`/proc/${H}/ns/net`, "r");
        try {
          sh(inNet(H, ["nft", "flush", "ruleset"], mode));
          const s = new NetlinkScript().setns(fd, CLONE_NEWNET, "enter the holder");
          // the rule's chain is left out: the batch fails at the rule and is rolled back
          s.send(NETLINK_NETFILTER, [0, 1, 2, 3, 6, 8].map((i) => msgs[i]!), ["begin", "add table", "delete table", "add table", "add the masquerade rule", "end"]);
          expect(() => s.run()).toThrow("add the masquerade rule: No such file or directory");
          expect(sh(inNet(H, ["nft", "list", "ruleset"], mode)).trim()).toBe("");
        } finally {
          closeSync(fd);
        }
      });
    }

    if (mode === "rootless") {
      test("a container namespace outside the holder's user namespace is refused (EPERM)", async () => {
        const sibling = await sleeper([...AS_USER, "unshare", "--user", "--map-root-user", "--net"]);
        expect(drive(mode, [{ fn: "attachEndpoint", holder, container: { user: sibling, net: sibling }, arg: ep("rr-t1", "rv-s1", "172.29.0.9", "172.29.0.1") }]))
          .toEqual([{ error: "create veth rv-s1 on bridge rr-t1: Operation not permitted" }]);
      });
    }
  });
}
