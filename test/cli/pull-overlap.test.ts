/**
 * Layers are unpacked while the pull still downloads. These tests guard what
 * that must not cost: a layer that fails to unpack leaves no layer of the
 * image behind and `rr images` as it was, and a pull killed mid-way leaves
 * a store that the next pull completes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { chownSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { MediaType } from "../../src/image/image-config.ts";
import { parseReference } from "../../src/image/reference.ts";
import { RegistryClient } from "../../src/image/registry/client.ts";
import { tarBytes, type TarSpec } from "../../src/image/tar-writer.ts";
import { busyboxLayer, imageConfigFor } from "../fixtures/images.ts";
import { integrationSkipReason, Sandbox, userIds, type Mode } from "../helpers/rr.ts";
import { registrySkipReason, rrAsync, startRegistry, type RunningRegistry } from "../helpers/registry.ts";

const skip = integrationSkipReason() ?? registrySkipReason();
const digest = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/** A layer of `n` small files: enough work that it is still unpacking while others arrive. */
function filesLayer(name: string, n: number): Uint8Array {
  const specs: TarSpec[] = [{ type: "dir", path: `${name}/`, mode: 0o755, mtime: 1 } as TarSpec];
  for (let i = 0; i < n; i++) specs.push({ type: "file", path: `${name}/f${i}`, data: `${name} ${i}\n`, mode: 0o644, mtime: 1 } as TarSpec);
  return tarBytes(specs);
}

/**
 * Pushes an image of these layer tars. `wrongDiffId` gives one layer a
 * diff_id its bytes do not hash to: the blob itself verifies, so the fault
 * shows only while unpacking.
 */
async function pushImage(host: string, name: string, tars: Uint8Array[], wrongDiffId?: number): Promise<{ diffIds: string[] }> {
  const ref = parseReference(`${host}/${name}`);
  const client = new RegistryClient(host, { config: { registryMirrors: [], insecureRegistries: [] }, credentials: null, env: {} });
  const one = async function* (b: Uint8Array) { yield b; };
  const layers = [];
  const diffIds = tars.map((t, i) => (i === wrongDiffId ? digest(new TextEncoder().encode("not this layer")) : digest(t)));
  for (const t of tars) {
    const gz = gzipSync(t);
    await client.uploadBlob(ref, digest(gz), gz.length, one(gz));
    layers.push({ mediaType: MediaType.ociLayerGzip, digest: digest(gz), size: gz.length });
  }
  const config = Buffer.from(JSON.stringify(imageConfigFor({ repoTags: [], layers: [] }, diffIds.map((d) => d.slice(7)))));
  await client.uploadBlob(ref, digest(config), config.length, one(config));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: digest(config), size: config.length }, layers,
  }));
  await client.putManifest(ref, manifest, MediaType.ociManifest);
  return { diffIds };
}

describe.skipIf(!!skip)(`pull unpacks while downloading${skip ? ` — skipped: ${skip}` : ""}`, () => {
  let sb: Sandbox;
  let reg: RunningRegistry;
  let diffIds: string[];
  const tars = () => [tarBytes(busyboxLayer()), filesLayer("a", 2000), filesLayer("b", 50)];

  beforeAll(async () => {
    sb = new Sandbox();
    reg = await startRegistry();
    ({ diffIds } = await pushImage(reg.host, "lib/good:1", tars()));
    await pushImage(reg.host, "lib/bad:1", tars(), 2);
  }, 60_000);
  afterAll(async () => {
    await reg?.cleanup();
    sb?.cleanup();
  });

  const layerDirs = (mode: Mode) => readdirSync(join(sb.storeRoot(mode), "layers"));

  for (const mode of ["root", "rootless"] as Mode[]) {
    test(`a later layer that fails to unpack leaves no layer of the image and rr images unchanged (${mode})`, async () => {
      sb.ok(mode, ["images"]); // creates the store
      const before = sb.ok(mode, ["images"]);
      const layersBefore = layerDirs(mode);
      const r = await rrAsync(sb, mode, ["pull", `${reg.host}/lib/bad:1`]);
      expect(r.code).toBe(1);
      expect(r.stderr.trimEnd().split("\n")[0]).toMatch(/^rr: pull .*lib\/bad:1: layer sha256:[0-9a-f]{64}: digest mismatch/);
      expect(sb.ok(mode, ["images"])).toBe(before);
      // layers 1 and 2 unpacked fine, but the image failed: they must not stay
      expect(layerDirs(mode)).toEqual(layersBefore);
      expect(readdirSync(join(sb.storeRoot(mode), "tmp"))).toEqual([]);
    });

    test(`a pull killed with SIGKILL mid-way leaves a store that the next pull completes (${mode})`, async () => {
      const env = { RR_ROOT: sb.path(`store-kill-${mode}`) };
      mkdirSync(env.RR_ROOT, { mode: 0o700 });
      if (mode !== "root") chownSync(env.RR_ROOT, userIds()!.uid, userIds()!.gid);
      const stall = stallingProxy(reg.host, /\/blobs\/sha256:/, 2);
      try {
        const { argv, env: spawnEnv } = sb.command(mode, ["pull", `${stall.host}/lib/good:1`], env);
        const p = Bun.spawn(argv, { env: spawnEnv, cwd: sb.dir, stdout: "ignore", stderr: "ignore" });
        // setpriv and env exec, so this pid is rr's. Wait until it holds unpacked layers in tmp.
        const tmp = join(env.RR_ROOT, "tmp");
        const deadline = Date.now() + 20_000;
        while (Date.now() < deadline && !safeList(tmp).some((n) => n.startsWith(`layer-${p.pid}-`))) await Bun.sleep(20);
        expect(safeList(tmp).some((n) => n.startsWith(`layer-${p.pid}-`))).toBe(true);
        process.kill(p.pid, "SIGKILL");
        await p.exited;
      } finally {
        stall.stop();
      }
      const ok = await rrAsync(sb, mode, ["pull", "-q", `${reg.host}/lib/good:1`], { env });
      expect(ok.stderr).toBe("");
      expect(ok.code).toBe(0);
      expect(readdirSync(join(env.RR_ROOT, "tmp"))).toEqual([]);
      expect(readdirSync(join(env.RR_ROOT, "layers")).sort()).toEqual(diffIds.map((d) => d.slice(7)).sort());
      expect(sb.ok(mode, ["run", "--rm", `${reg.host}/lib/good:1`, "sh", "-c", "ls /a | wc -l"], { env }).trim()).toBe("2000");
    }, 60_000);
  }
});

function safeList(dir: string): string[] {
  try { return readdirSync(dir); } catch { return []; }
}

/**
 * A proxy that passes the first `pass` matching blobs (the config comes
 * first) and holds every later one open forever: a pull stuck mid-way.
 */
function stallingProxy(upstream: string, match: RegExp, pass: number): { host: string; stop(): void } {
  let seen = 0;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    idleTimeout: 0,
    async fetch(req) {
      const url = new URL(req.url);
      if (req.method === "GET" && match.test(url.pathname)) {
        if (++seen > pass) return new Promise<Response>(() => {});
      }
      const headers = new Headers(req.headers);
      headers.delete("host");
      const up = await fetch(`http://${upstream}${url.pathname}${url.search}`, { method: req.method, headers, redirect: "manual" });
      const out = new Headers(up.headers);
      out.delete("content-length");
      out.delete("content-encoding");
      return new Response(up.body, { status: up.status, headers: out });
    },
  });
  return { host: `127.0.0.1:${server.port}`, stop: () => server.stop(true) };
}
