/**
 * What breaks during a pull: each fault gives a one-line error (plus a hint
 * line at most), exit 1 (125 for run), the store as it was, no temporary
 * files left, and the next pull succeeds.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { integrationSkipReason, Sandbox } from "../helpers/rr.ts";
import { writeFixtures } from "../helpers/fixtures.ts";
import { rrAsync, registrySkipReason, skopeoCopy, startRegistry, type RunningRegistry } from "../helpers/registry.ts";
import { startFaultServer, type Fault, type FaultServer } from "../helpers/fault-server.ts";

const skip = integrationSkipReason() ?? registrySkipReason();
const MANIFEST = /\/manifests\//;

describe.skipIf(!!skip)(`pull faults${skip ? ` — skipped: ${skip}` : ""}`, () => {
  let sb: Sandbox;
  let reg: RunningRegistry;
  let proxy: FaultServer;
  let layerPath: RegExp;
  let configPath: RegExp;
  let fixtures: ReturnType<typeof writeFixtures>;

  beforeAll(async () => {
    sb = new Sandbox();
    fixtures = writeFixtures(sb);
    reg = await startRegistry();
    await skopeoCopy(`docker-archive:${fixtures.busybox}`, `docker://${reg.host}/lib/busybox:1`);
    const m = await (await fetch(`http://${reg.host}/v2/lib/busybox/manifests/1`, { headers: { Accept: "application/vnd.docker.distribution.manifest.v2+json" } })).json();
    layerPath = new RegExp(`/blobs/${m.layers[0].digest}$`);
    configPath = new RegExp(`/blobs/${m.config.digest}$`);
    proxy = startFaultServer(reg.host);
  }, 30_000);
  afterAll(async () => {
    proxy?.stop();
    await reg?.cleanup();
    sb?.cleanup();
  });

  const cases: [string, () => Fault, RegExp][] = [
    ["a truncated blob", () => ({ kind: "truncate", match: layerPath }), /layer sha256:[0-9a-f]{64}: size mismatch: expected \d+ bytes, got \d+ \(truncated download\)$/],
    ["a digest mismatch", () => ({ kind: "corrupt", match: layerPath }), /layer sha256:[0-9a-f]{64}: digest mismatch: expected sha256:[0-9a-f]{64}, got sha256:[0-9a-f]{64}$/],
    ["a corrupted config", () => ({ kind: "corrupt", match: configPath }), /config sha256:[0-9a-f]{64}: digest mismatch/],
    ["the registry killed mid-blob", () => ({ kind: "reset", match: layerPath }), /GET \/v2\/lib\/busybox\/blobs\/sha256:[0-9a-f]{64}: .* after \d+ bytes$/],
    ["a 404 blob", () => ({ kind: "status", status: 404, match: layerPath }), /GET \/v2\/lib\/busybox\/blobs\/sha256:[0-9a-f]{64}: 404 injected 404$/],
    ["a 401 manifest", () => ({ kind: "status", status: 401, match: MANIFEST }), /GET \/v2\/lib\/busybox\/manifests\/1: 401 injected 401$/],
    ["a 403 manifest", () => ({ kind: "status", status: 403, match: MANIFEST }), /GET \/v2\/lib\/busybox\/manifests\/1: 403 injected 403$/],
    ["a lasting 429", () => ({ kind: "status", status: 429, match: MANIFEST, headers: { "Retry-After": "0" } }), /GET \/v2\/lib\/busybox\/manifests\/1: 429 injected 429$/],
    ["malformed manifest JSON", () => ({ kind: "replace", match: MANIFEST, body: "{\"schemaVersion\": 2, ", contentType: "application/vnd.docker.distribution.manifest.v2+json" }), /invalid manifest lib\/busybox:1: not JSON/],
    ["an unknown manifest media type", () => ({ kind: "replace", match: MANIFEST, body: "{}", contentType: "application/vnd.example.thing+json" }), /unsupported manifest lib\/busybox:1 media type "application\/vnd.example.thing\+json"$/],
    ["a schema 1 manifest", () => ({ kind: "replace", match: MANIFEST, body: "{\"schemaVersion\": 1}", contentType: "application/vnd.docker.distribution.manifest.v1+prettyjws" }), /is a Docker schema 1 manifest, which rr does not support$/],
    ["a manifest that is also an index (CVE-2021-41190)", () => ({ kind: "replace", match: MANIFEST, body: JSON.stringify({ schemaVersion: 2, manifests: [], config: {}, layers: [] }), contentType: "application/vnd.oci.image.manifest.v1+json" }), /ambiguous between manifest and index/],
  ];

  cases.forEach(([name, fault, message], i) => {
    test(`${name}: one-line error, store unchanged, no temp files, next pull works`, async () => {
      const env = { RR_ROOT: sb.path(`store-fault-${i}`) };
      sb.ok("root", ["load", "-i", fixtures.multi], { env });
      const before = sb.ok("root", ["images"], { env });
      proxy.fault = fault();
      proxy.hits = 0;
      const ref = `${proxy.host}/lib/busybox:1`;
      const r = await rrAsync(sb, "root", ["pull", ref], { env });
      expect(proxy.hits).toBeGreaterThan(0);
      expect(r.code).toBe(1);
      const [first, ...rest] = r.stderr.trimEnd().split("\n");
      expect(first).toStartWith(`rr: pull ${ref}: `);
      expect(first).toMatch(message);
      expect(rest.length).toBeLessThanOrEqual(1); // at most a hint
      expect(sb.ok("root", ["images"], { env })).toBe(before);
      expect(readdirSync(join(env.RR_ROOT, "tmp"))).toEqual([]);
      proxy.fault = undefined;
      const ok = await rrAsync(sb, "root", ["pull", "-q", ref], { env });
      expect(ok.stderr).toBe("");
      expect(ok.stdout).toBe(`${ref}\n`);
    });
  });

  test("run --pull over a fault exits 125 and leaves no image", async () => {
    const env = {};
    proxy.fault = { kind: "corrupt", match: layerPath };
    const r = await rrAsync(sb, "rootless", ["run", "--rm", `${proxy.host}/lib/busybox:1`, "true"], { env });
    proxy.fault = undefined;
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("digest mismatch");
    expect(sb.ok("rootless", ["images", "-q"], { env })).toBe("");
  });

  test("429 with Retry-After and a 500 are retried, and the pull succeeds", async () => {
    for (const [i, fault] of ([
      { kind: "status", status: 429, match: MANIFEST, times: 1, headers: { "Retry-After": "1" } },
      { kind: "status", status: 500, match: layerPath, times: 2 },
    ] as Fault[]).entries()) {
      proxy.fault = fault;
      proxy.hits = 0;
      const started = Date.now();
      const r = await rrAsync(sb, "root", ["pull", "-q", `${proxy.host}/lib/busybox:1`], { env: { RR_ROOT: sb.path(`store-retry-${i}`) } });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(proxy.hits).toBe(fault.kind === "status" ? (fault.times ?? 0) + 1 : 0);
      if (i === 0) expect(Date.now() - started).toBeGreaterThanOrEqual(1000); // Retry-After honoured
    }
    proxy.fault = undefined;
  });

  test("the registry process killed mid-pull: a clear error, the store as it was, and the pull works once it is back", async () => {
    const env = { RR_ROOT: sb.path("store-killed-registry") };
    const ref = `${proxy.host}/lib/busybox:1`;
    proxy.fault = { kind: "reset", match: layerPath };
    proxy.onReset = () => reg.kill();
    try {
      const r = await rrAsync(sb, "root", ["pull", ref], { env });
      expect(r.code).toBe(1);
      expect(r.stderr.trimEnd().split("\n")[0]).toStartWith(`rr: pull ${ref}: `);
      expect(sb.ok("root", ["images", "-q"], { env })).toBe("");
      expect(readdirSync(join(env.RR_ROOT, "tmp"))).toEqual([]);
    } finally {
      proxy.fault = undefined;
      proxy.onReset = undefined;
      await reg.restart();
    }
    const again = await rrAsync(sb, "root", ["pull", "-q", ref], { env });
    expect(again.stderr).toBe("");
    expect(again.stdout).toBe(`${ref}\n`);
  });
});
