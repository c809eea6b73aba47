/** /etc/hosts lines for containers on networks, and the in-place rewrite a bind mount needs. */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { allocateEndpoint, createNetwork, findNetwork } from "../../src/network/network-store.ts";
import { linesAdded, networkHostsLines, refreshPeerHosts, rememberHosts, rewriteHosts, rewriteInPlace } from "../../src/network/network-hosts.ts";

const root = mkdtempSync(join(tmpdir(), "rr-hosts-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ids = new Map<string, string>();
/** A container directory with a hosts file, attached to networks. */
function node(name: string, n: number, nets: { net: string; ip?: string; aliases?: string[] }[], hostname?: string): string {
  const id = String(n).padStart(2, "0").repeat(32);
  mkdirSync(join(root, "containers", id), { recursive: true });
  writeFileSync(join(root, "containers", id, "hosts"), "old and much longer than what replaces it\n".repeat(20));
  for (const x of nets) allocateEndpoint(root, x.net, { containerId: id, containerName: name, ip: x.ip, aliases: x.aliases ?? [], hostname });
  ids.set(name, id);
  return id;
}

createNetwork(root, { name: "hadoop", subnet: "172.18.0.0/16", internal: false, labels: {} });
createNetwork(root, { name: "side", subnet: "10.30.0.0/24", internal: false, labels: {} });
const n1 = node("hadoop-node1", 1, [{ net: "hadoop", ip: "172.18.0.2" }], "hadoop-node1");
const n2 = node("hadoop-node2", 2, [{ net: "hadoop", ip: "172.18.0.3", aliases: ["datanode"] }], "h2");
const n3 = node("hadoop-node3", 3, [{ net: "hadoop", ip: "172.18.0.4" }, { net: "side" }]);
const lone = node("lone", 4, [{ net: "side" }]);

describe("networkHostsLines()", () => {
  test("own line first (hostname, name, aliases, short id), then each peer by name, hostname, aliases and short id, by address", () => {
    expect(networkHostsLines(root, n2)).toEqual([
      "172.18.0.3\th2 hadoop-node2 datanode 020202020202",
      "172.18.0.2\thadoop-node1 010101010101",
      "172.18.0.4\thadoop-node3 030303030303",
    ]);
  });

  test("a container on two networks has a line per network and sees the peers of both", () => {
    expect(networkHostsLines(root, n3)).toEqual([
      "172.18.0.4\thadoop-node3 030303030303",
      "10.30.0.2\thadoop-node3 030303030303",
      "10.30.0.3\tlone 040404040404",
      "172.18.0.2\thadoop-node1 010101010101",
      "172.18.0.3\thadoop-node2 h2 datanode 020202020202",
    ]);
    expect(networkHostsLines(root, lone)).toEqual(["10.30.0.3\tlone 040404040404", "10.30.0.2\thadoop-node3 030303030303"]);
  });

  test("own lines: the primary network's first, then by network name, whatever order the store lists them in", () => {
    expect(networkHostsLines(root, n3, "side").slice(0, 2)).toEqual(["10.30.0.2\thadoop-node3 030303030303", "172.18.0.4\thadoop-node3 030303030303"]);
    expect(networkHostsLines(root, n3, "hadoop").slice(0, 2)).toEqual(["172.18.0.4\thadoop-node3 030303030303", "10.30.0.2\thadoop-node3 030303030303"]);
  });

  test("a container on no network has no lines", () => {
    expect(networkHostsLines(root, "ff".repeat(32))).toEqual([]);
  });
});

describe("refreshPeerHosts()", () => {
  test("rewrites every member's file in place: same inode, shorter content, nothing left over", () => {
    const path = (id: string) => join(root, "containers", id, "hosts");
    const before = [n1, n2, n3, lone].map((id) => statSync(path(id)).ino);
    const rendered: string[] = [];
    const failures = refreshPeerHosts(root, [findNetwork(root, "hadoop").id], (id) => {
      rendered.push(id);
      return `127.0.0.1\tlocalhost\n${networkHostsLines(root, id).join("\n")}\n`;
    });
    expect(failures).toEqual([]);
    expect(rendered.sort()).toEqual([n1, n2, n3].sort()); // lone shares no network with hadoop
    expect(readFileSync(path(n1), "utf8")).toBe("127.0.0.1\tlocalhost\n172.18.0.2\thadoop-node1 010101010101\n172.18.0.3\thadoop-node2 h2 datanode 020202020202\n172.18.0.4\thadoop-node3 030303030303\n");
    expect([n1, n2, n3, lone].map((id) => statSync(path(id)).ino)).toEqual(before);
    expect(readFileSync(path(lone), "utf8")).toStartWith("old and much longer");
  });

  test("skips containers whose directory is gone or whose render declines; reports other failures", () => {
    const gone = node("gone", 5, [{ net: "side" }]);
    rmSync(join(root, "containers", gone), { recursive: true });
    const failures = refreshPeerHosts(root, [findNetwork(root, "side").id], (id) => (id === lone ? undefined : "x\n"));
    expect(failures).toEqual([]);
    expect(readFileSync(join(root, "containers", n3, "hosts"), "utf8")).toBe("x\n");

    // a hosts file replaced by a symlink is never followed
    const target = join(root, "outside");
    writeFileSync(target, "untouched\n");
    rmSync(join(root, "containers", n3, "hosts"));
    symlinkSync(target, join(root, "containers", n3, "hosts"));
    const bad = refreshPeerHosts(root, [findNetwork(root, "side").id], () => "evil\n");
    expect(bad.map((f) => f.containerId)).toEqual([n3]);
    expect((bad[0]!.error as NodeJS.ErrnoException).code).toBe("ELOOP");
    expect(readFileSync(target, "utf8")).toBe("untouched\n");
  });

  test("rewriteHosts() keeps the lines the container added since rr last wrote, in place", () => {
    const dir = join(root, "edited");
    mkdirSync(dir);
    writeFileSync(join(dir, "hosts"), "127.0.0.1\tlocalhost\n10.0.0.2\told-peer\n");
    rememberHosts(dir, "127.0.0.1\tlocalhost\n10.0.0.2\told-peer\n");
    writeFileSync(join(dir, "hosts"), "127.0.0.1\tlocalhost\n10.0.0.2\told-peer\n192.0.2.9\tmyedit\n", { flag: "w" });
    const ino = statSync(join(dir, "hosts")).ino;
    rewriteHosts(dir, "127.0.0.1\tlocalhost\n10.0.0.3\tnew-peer\n");
    expect(readFileSync(join(dir, "hosts"), "utf8")).toBe("127.0.0.1\tlocalhost\n10.0.0.3\tnew-peer\n192.0.2.9\tmyedit\n");
    expect(statSync(join(dir, "hosts")).ino).toBe(ino);
    rewriteHosts(dir, "127.0.0.1\tlocalhost\n"); // again: the edit is kept once, not twice
    expect(readFileSync(join(dir, "hosts"), "utf8")).toBe("127.0.0.1\tlocalhost\n192.0.2.9\tmyedit\n");
    // no record of what rr wrote (a symlink is no record): nothing extra is kept
    rmSync(join(dir, "hosts.rr"));
    symlinkSync(join(dir, "hosts"), join(dir, "hosts.rr"));
    rewriteHosts(dir, "127.0.0.1\tlocalhost\n");
    expect(readFileSync(join(dir, "hosts"), "utf8")).toBe("127.0.0.1\tlocalhost\n");
  });

  test("rewriteHosts() reads at most 1 MiB of a file the container filled, and keeps only whole lines of it", () => {
    const dir = join(root, "filled");
    mkdirSync(dir);
    rememberHosts(dir, "127.0.0.1\tlocalhost\n");
    writeFileSync(join(dir, "hosts"), `127.0.0.1\tlocalhost\n192.0.2.1\tkept\n${"b".repeat(2 << 20)}\n`);
    rewriteHosts(dir, "127.0.0.1\tlocalhost\n10.0.0.3\tpeer\n");
    expect(readFileSync(join(dir, "hosts"), "utf8")).toBe("127.0.0.1\tlocalhost\n10.0.0.3\tpeer\n192.0.2.1\tkept\n");
  });

  test("linesAdded() counts repeated lines and never brings back removed ones", () => {
    expect(linesAdded("a\nb\n", "a\nb\nc\n")).toEqual(["c"]);
    expect(linesAdded("a\n", "a\na\n")).toEqual(["a"]);
    expect(linesAdded("a\nb\n", "a\n")).toEqual([]);
    expect(linesAdded("a\n", "x\n\n  \na\n")).toEqual(["x"]);
  });

  test("rewriteInPlace() refuses what is not a regular file", () => {
    const dir = join(root, "adir");
    mkdirSync(dir);
    expect(() => rewriteInPlace(dir, "x")).toThrow();
  });
});
