/**
 * Getting images into the store from the compiled binary, in each mode:
 * load and import, hostile and broken archives, and what the store looks
 * like afterwards (nothing half-written, still usable).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { zstdCompressSync } from "node:zlib";
import { integrationSkipReason, MODES, Sandbox, type Mode } from "../helpers/rr.ts";
import { writeFixtures, type FixtureFiles } from "../helpers/fixtures.ts";
import { busyboxLayer, hostileArchives, writeDockerArchive } from "../fixtures/images.ts";
import { tarBytes } from "../../src/image/tar-writer.ts";
import { readTar } from "../../src/image/tar-reader.ts";
import { readFileStream } from "../../src/image/decompress.ts";

const skip = integrationSkipReason();

async function rewriteTar(src: string, dst: string, edit: (path: string, data: Uint8Array) => Uint8Array): Promise<void> {
  const entries: Parameters<typeof tarBytes>[0] = [];
  for await (const { entry, body } of readTar(readFileStream(src))) {
    const parts: Uint8Array[] = [];
    for await (const c of body) parts.push(new Uint8Array(c));
    const data = Buffer.concat(parts);
    if (entry.type === "file") entries.push({ type: "file", path: entry.path, data: edit(entry.path, data), mode: entry.mode });
    else if (entry.type === "dir") entries.push({ type: "dir", path: entry.path, mode: entry.mode });
  }
  writeFileSync(dst, tarBytes(entries));
  chmodSync(dst, 0o644);
}

describe.skipIf(!!skip).each(MODES)(`rr load/import (%s)${skip ? ` — skipped: ${skip}` : ""}`, (mode: Mode) => {
  let sb: Sandbox;
  let f: FixtureFiles;
  const storeEntries = (sub: string) => {
    try { return readdirSync(join(sb.storeRoot(mode), sub)); } catch { return []; }
  };
  const expectStoreClean = () => {
    expect(storeEntries("tmp")).toEqual([]);
    expect(sb.ok(mode, ["run", "--rm", "busybox", "echo", "usable"])).toBe("usable\n");
  };

  beforeAll(() => {
    sb = new Sandbox();
    f = writeFixtures(sb);
  });
  afterAll(() => sb?.cleanup());

  test("load -i reads a docker save archive and names the image", () => {
    expect(sb.ok(mode, ["load", "-i", f.busybox])).toBe("Loaded image: busybox:latest\n");
    expect(sb.ok(mode, ["images"])).toMatch(/^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\nbusybox\s+latest\s+[0-9a-f]{12}\s/);
  });

  test("load reads an OCI archive from stdin", () => {
    const out = sb.ok(mode, ["load"], { stdin: readFileSync(f.busyboxOci) });
    expect(out).toContain("busybox-oci");
    expect(sb.ok(mode, ["run", "--rm", "busybox-oci", "echo", "oci"])).toBe("oci\n");
  });

  test("import makes a one-layer image from a rootfs tarball that runs", () => {
    const rootfs = sb.path(`rootfs-${mode}.tar`);
    writeFileSync(rootfs, tarBytes(busyboxLayer()));
    chmodSync(rootfs, 0o644);
    expect(sb.ok(mode, ["import", rootfs, "imported:v1"])).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect(sb.ok(mode, ["run", "--rm", "imported:v1", "echo", "imported"])).toBe("imported\n");
  });

  test("import - reads a zstd-compressed rootfs from stdin", () => {
    const out = sb.ok(mode, ["import", "-", "fromstdin:zst"], { stdin: zstdCompressSync(tarBytes(busyboxLayer())) });
    expect(out).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect(sb.ok(mode, ["run", "--rm", "fromstdin:zst", "echo", "zstd"])).toBe("zstd\n");
  });

  test("tag and rmi; rmi refuses an image a container uses unless -f", () => {
    sb.ok(mode, ["tag", "busybox", "mybox:1"]);
    sb.ok(mode, ["run", "--name", "user1", "mybox:1", "true"]);
    const r = sb.rr(mode, ["rmi", "mybox:1"]);
    expect(r.code).toBe(0); // another name still points at it: rmi only untags
    sb.ok(mode, ["tag", "busybox", "mybox:2"]);
    sb.ok(mode, ["rm", "user1"]);
    expect(sb.ok(mode, ["images", "--format", "{{.Repository}}:{{.Tag}}"])).toContain("mybox:2");
    sb.ok(mode, ["rmi", "mybox:2"]);
    expect(sb.ok(mode, ["images", "--format", "{{.Repository}}:{{.Tag}}"])).not.toContain("mybox");
  });

  test("rmi of an image in use by a container is refused, with the container named", () => {
    sb.ok(mode, ["import", sb.path(`rootfs-${mode}.tar`), "inuse:v1"]);
    sb.ok(mode, ["run", "--name", "user2", "inuse:v1", "true"]);
    const r = sb.rr(mode, ["rmi", "inuse:v1"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("must force");
    expect(sb.ok(mode, ["images"])).toContain("inuse");
    sb.ok(mode, ["rm", "user2"]);
    sb.ok(mode, ["rmi", "inuse:v1"]);
  });

  test("inspect shows Docker-shaped JSON and --format paths", () => {
    const doc = JSON.parse(sb.ok(mode, ["inspect", "busybox"]));
    expect(doc[0].RepoTags).toContain("busybox:latest");
    expect(doc[0].Config.Cmd).toEqual(["sh"]);
    expect(sb.ok(mode, ["inspect", "--format", "{{.Os}}/{{.Architecture}}", "busybox"])).toBe("linux/amd64\n");
  });

  test("rmi of an unknown image exits 1 with a clear message", () => {
    const r = sb.rr(mode, ["rmi", "nosuchimage"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("No such image: nosuchimage");
  });

  for (const [name, bytes] of Object.entries(hostileArchives("/tmp/rr-canary-PLACEHOLDER"))) {
    void bytes;
    test(`import refuses a hostile archive (${name}) and writes nothing outside`, () => {
      const canary = sb.path(`canary-${mode}-${name}`);
      mkdirSync(canary, { recursive: true });
      writeFileSync(join(canary, "sentinel"), "untouched\n");
      chmodSync(canary, 0o777); // writable by the test account: only rr's checks protect it
      const archive = sb.path(`hostile-${mode}-${name}.tar`);
      writeFileSync(archive, hostileArchives(canary)[name]!);
      chmodSync(archive, 0o644);
      const layersBefore = storeEntries("layers").length;
      const r = sb.rr(mode, ["import", archive, `hostile:${name.toLowerCase()}`]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split("\n")[0]).toMatch(/^rr: .*(escapes|outside|absolute|symlink|truncated|refus|invalid|not found|through)/i);
      expect(readdirSync(canary)).toEqual(["sentinel"]);
      expect(readFileSync(join(canary, "sentinel"), "utf8")).toBe("untouched\n");
      expect(existsSync("/etc/passwd.pwned")).toBe(false);
      expect(sb.ok(mode, ["images"])).not.toContain("hostile");
      expect(storeEntries("layers").length).toBe(layersBefore);
      expectStoreClean();
    });
  }

  test("a docker archive whose layer does not match its diff_id is refused", async () => {
    const bad = sb.path(`wrong-digest-${mode}.tar`);
    await rewriteTar(f.busybox, bad, (path, data) => {
      if (!path.endsWith(".json") || path === "manifest.json") return data;
      const cfg = JSON.parse(new TextDecoder().decode(data));
      if (!cfg.rootfs) return data;
      cfg.rootfs.diff_ids = [`sha256:${"0".repeat(64)}`];
      return new TextEncoder().encode(JSON.stringify(cfg));
    });
    const r = sb.rr(mode, ["load", "-i", bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("digest mismatch");
    expectStoreClean();
  });

  test("a truncated archive is refused and the store stays usable", () => {
    const data = readFileSync(f.multi);
    const cut = sb.path(`truncated-${mode}.tar`);
    writeFileSync(cut, data.subarray(0, Math.floor(data.length / 2)));
    chmodSync(cut, 0o644);
    const r = sb.rr(mode, ["load", "-i", cut]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/truncated/);
    expect(sb.ok(mode, ["images"])).not.toContain("multi");
    expectStoreClean();
  });

  test("kill -9 in the middle of a load leaves a store the next command uses and cleans", async () => {
    sb.ok(mode, ["load", "-i", f.busybox]);
    const big = sb.path(`big-${mode}.tar`);
    // many files and one big one: the load is still running when it is killed
    const files = Array.from({ length: 3000 }, (_, i) => ({ type: "file" as const, path: `many/f${i}`, data: `file ${i}\n` }));
    writeDockerArchive(big, { repoTags: ["big:latest"], layers: [busyboxLayer(), [...files, { type: "file", path: "blob", data: new Uint8Array(64 << 20) }]] });
    chmodSync(big, 0o644);
    const { argv, env } = sb.command(mode, ["load", "-i", big]);
    const p = Bun.spawn(argv, { env, stdout: "pipe", stderr: "pipe" });
    await Bun.sleep(400);
    p.kill("SIGKILL");
    await p.exited;
    await Bun.sleep(100); // the namespace helper, if any, dies with rr (PDEATHSIG)
    expect(sb.ok(mode, ["run", "--rm", "busybox", "echo", "after kill"])).toBe("after kill\n");
    expect(storeEntries("tmp")).toEqual([]);
    expect(sb.ok(mode, ["load", "-i", big])).toBe("Loaded image: big:latest\n");
    expect(sb.ok(mode, ["run", "--rm", "big", "sh", "-c", "ls /many | wc -l"])).toBe("3000\n");
  });

  test("a missing archive file is a clear error", () => {
    const r = sb.rr(mode, ["load", "-i", "/nonexistent.tar"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("/nonexistent.tar");
  });
});
