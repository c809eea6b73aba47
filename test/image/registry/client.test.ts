/**
 * RegistryClient against a real distribution 2.8 registry: anonymous,
 * htpasswd basic auth and token auth; the push half (HEAD, mount,
 * monolithic and chunked uploads, manifest PUT) read back by skopeo.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RegistryClient } from "../../../src/image/registry/client.ts";
import { parseReference } from "../../../src/image/reference.ts";
import { MediaType } from "../../../src/image/image-config.ts";
import { busyboxLayer, writeDockerArchive } from "../../fixtures/images.ts";
import { NO_AUTH_FILE, registrySkipReason, skopeoCopy, startRegistry, type RunningRegistry } from "../../helpers/registry.ts";
import { startTokenServer, type TokenServer } from "../../helpers/token-server.ts";

const skip = registrySkipReason();
const USER = { user: "alice", password: "s3cret:with colon" };
const NO_CONFIG = { registryMirrors: [], insecureRegistries: [] };
const sha = (b: Uint8Array | string) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of chunks) parts.push(c);
  return Buffer.concat(parts);
}

async function* once(b: Uint8Array): AsyncGenerator<Uint8Array> {
  yield b;
}

describe.skipIf(!!skip)(`RegistryClient against docker-registry${skip ? ` (skipped: ${skip})` : ""}`, () => {
  let tmp: string;
  let archive: string;
  let anon: RunningRegistry, basic: RunningRegistry, tokenReg: RunningRegistry;
  let tokens: TokenServer;

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), "rr-client-"));
    archive = join(tmp, "busybox.tar");
    writeDockerArchive(archive, { repoTags: ["busybox:latest"], layers: [busyboxLayer()] });
    tokens = startTokenServer({ users: [USER], anonymousPull: true });
    [anon, basic, tokenReg] = await Promise.all([
      startRegistry(),
      startRegistry({ auth: "htpasswd", users: [USER] }),
      startRegistry({ auth: "token", token: tokens }),
    ]);
    await Promise.all([
      skopeoCopy(`docker-archive:${archive}`, `docker://${anon.host}/lib/busybox:1`),
      skopeoCopy(`docker-archive:${archive}`, `docker://${basic.host}/lib/busybox:1`, [], USER),
      skopeoCopy(`docker-archive:${archive}`, `docker://${tokenReg.host}/lib/busybox:1`, [], USER),
    ]);
  }, 30_000);

  afterAll(async () => {
    await Promise.all([anon, basic, tokenReg].filter(Boolean).map((r) => r.cleanup()));
    tokens?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  const client = (host: string, credentials: typeof USER | null) =>
    new RegistryClient(host, { config: NO_CONFIG, credentials: credentials && { username: credentials.user, password: credentials.password }, env: {} });

  for (const mode of ["anonymous", "basic", "token"] as const) {
    test(`getManifest() and blobStream() read an image (${mode})`, async () => {
      const host = mode === "anonymous" ? anon.host : mode === "basic" ? basic.host : tokenReg.host;
      const c = client(host, mode === "anonymous" ? null : USER);
      const ref = parseReference(`${host}/lib/busybox:1`);
      const m = await c.getManifest(ref);
      expect(m.mediaType).toBe(MediaType.dockerManifest);
      expect(m.digest).toBe(sha(m.bytes));
      const manifest = JSON.parse(Buffer.from(m.bytes).toString());
      const config = await collect((await c.blobStream(ref, manifest.config.digest)).chunks);
      expect(sha(config)).toBe(manifest.config.digest);
      const byDigest = await c.getManifest(parseReference(`${host}/lib/busybox@${m.digest}`));
      expect(byDigest.digest).toBe(m.digest);
    });
  }

  test("a wrong password is a one-line 401 with a login hint (basic)", async () => {
    const c = client(basic.host, { user: "alice", password: "wrong" });
    const err = await c.getManifest(parseReference(`${basic.host}/lib/busybox:1`)).catch((e) => e);
    expect(err.status).toBe(401);
    expect(err.message).toMatch(/^GET \/v2\/lib\/busybox\/manifests\/1: 401 /);
    expect(err.hint).toContain("rr login");
  });

  test("a wrong password fails at the token server (token)", async () => {
    const c = client(tokenReg.host, { user: "alice", password: "wrong" });
    const err = await c.getManifest(parseReference(`${tokenReg.host}/lib/busybox:1`)).catch((e) => e);
    expect(err.status).toBe(401);
    expect(err.message).toContain("token request failed");
  });

  test("one token serves every blob of a pull (token reuse per scope)", async () => {
    const before = tokens.requests.length;
    const c = client(tokenReg.host, USER);
    const ref = parseReference(`${tokenReg.host}/lib/busybox:1`);
    const m = JSON.parse(Buffer.from((await c.getManifest(ref)).bytes).toString());
    for (const d of [m.config.digest, ...m.layers.map((l: { digest: string }) => l.digest)]) await collect((await c.blobStream(ref, d)).chunks);
    expect(tokens.requests.length - before).toBe(1);
  });

  test("a missing tag is a 404 that names the path", async () => {
    const err = await client(anon.host, null).getManifest(parseReference(`${anon.host}/lib/busybox:nope`)).catch((e) => e);
    expect(err.message).toBe("GET /v2/lib/busybox/manifests/nope: 404 manifest unknown");
  });

  for (const mode of ["basic", "token"] as const) {
    test(`push: upload (monolithic and chunked), HEAD, mount and PUT manifest, then skopeo reads it (${mode})`, async () => {
      const host = mode === "basic" ? basic.host : tokenReg.host;
      const c = client(host, USER);
      const ref = parseReference(`${host}/pushed/img:v1`);
      const layer = Buffer.from(Bun.gzipSync(new Uint8Array(1024)));
      const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [sha(Buffer.alloc(0))] } }));
      expect(await c.headBlob(ref, sha(config))).toBe(false);
      await c.uploadBlob(ref, sha(config), config.length, once(config));
      const big = Buffer.alloc(300_000, 7);
      await c.uploadBlob(ref, sha(big), big.length, once(big), { chunkSize: 64 * 1024 });
      await c.uploadBlob(ref, sha(layer), layer.length, once(layer), { chunkSize: 1 << 20 });
      expect(await c.headBlob(ref, sha(config))).toBe(true);
      expect(await c.headBlob(ref, sha(big))).toBe(true);
      const other = parseReference(`${host}/elsewhere/img:v1`);
      expect(await c.mountBlob(other, sha(config), "pushed/img")).toBe(true);
      expect(await c.headBlob(other, sha(config))).toBe(true);
      const manifest = Buffer.from(JSON.stringify({
        schemaVersion: 2, mediaType: MediaType.ociManifest,
        config: { mediaType: MediaType.ociConfig, digest: sha(config), size: config.length },
        layers: [{ mediaType: MediaType.ociLayerGzip, digest: sha(layer), size: layer.length }],
      }));
      expect(await c.putManifest(ref, manifest, MediaType.ociManifest)).toBe(sha(manifest));
      const p = Bun.spawn(["skopeo", "inspect", "--raw", "--tls-verify=false", "--creds", `${USER.user}:${USER.password}`, `docker://${host}/pushed/img:v1`], { stdout: "pipe", stderr: "pipe", env: { ...process.env, REGISTRY_AUTH_FILE: NO_AUTH_FILE } });
      const [out, err] = await Promise.all([new Response(p.stdout).arrayBuffer(), new Response(p.stderr).text()]);
      expect(err).toBe("");
      expect(sha(new Uint8Array(out))).toBe(sha(manifest));
    });
  }
});
