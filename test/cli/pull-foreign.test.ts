/**
 * A foreign (non-distributable) layer: the manifest names URLs instead of
 * the registry holding the blob. rr fetches it from there (with no
 * registry credentials), verifies it like any other blob, and runs it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { integrationSkipReason, Sandbox } from "../helpers/rr.ts";
import { registrySkipReason, rrAsync, startRegistry, type RunningRegistry } from "../helpers/registry.ts";
import { busyboxLayer } from "../fixtures/images.ts";
import { tarBytes } from "../../src/image/tar-writer.ts";
import { MediaType } from "../../src/image/image-config.ts";
import { parseReference } from "../../src/image/reference.ts";
import { RegistryClient } from "../../src/image/registry/client.ts";

const skip = integrationSkipReason() ?? registrySkipReason();
const sha256 = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

describe.skipIf(!!skip)(`foreign layers${skip ? ` — skipped: ${skip}` : ""}`, () => {
  let sb: Sandbox;
  let reg: RunningRegistry;
  let server: ReturnType<typeof Bun.serve>;
  let hits = 0;
  let ref: string;

  beforeAll(async () => {
    sb = new Sandbox();
    reg = await startRegistry({ allowForeignUrls: true });
    const tar = tarBytes(busyboxLayer());
    const gz = gzipSync(tar);
    server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => { hits++; return new Response(gz); } });
    ref = `${reg.host}/lib/foreign:1`;
    const r = parseReference(ref);
    const client = new RegistryClient(r.registry, { env: {}, credentials: null });
    const config = new TextEncoder().encode(JSON.stringify({
      architecture: "amd64", os: "linux", config: { Cmd: ["sh"] }, rootfs: { type: "layers", diff_ids: [sha256(tar)] },
    }));
    await client.uploadBlob(r, sha256(config), config.length, (async function* () { yield config; })());
    const manifest = new TextEncoder().encode(JSON.stringify({
      schemaVersion: 2, mediaType: MediaType.dockerManifest,
      config: { mediaType: MediaType.dockerConfig, digest: sha256(config), size: config.length },
      layers: [{ mediaType: MediaType.dockerForeignLayerGzip, digest: sha256(gz), size: gz.length, urls: [`http://127.0.0.1:${server.port}/layer.tar.gz`] }],
    }));
    await client.putManifest(r, manifest, MediaType.dockerManifest);
  }, 30_000);
  afterAll(async () => {
    server?.stop(true);
    await reg?.cleanup();
    sb?.cleanup();
  });

  test("is fetched from its URL, verified, unpacked and run", async () => {
    // async: the URL's server lives in this process
    const pulled = await rrAsync(sb, "rootless", ["pull", "-q", ref]);
    expect(pulled.stderr).toBe("");
    expect(pulled.stdout).toBe(`${ref}\n`);
    expect(hits).toBe(1);
    const ran = await rrAsync(sb, "rootless", ["run", "--rm", ref, "echo", "foreign"]);
    expect(ran.stdout).toBe("foreign\n");
  });
});
