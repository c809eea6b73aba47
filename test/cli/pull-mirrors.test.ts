/**
 * docker.io mirrors from daemon.json: the mirror serves; a mirror without
 * the image (404) or a stopped mirror falls back to the origin. "docker.io"
 * here is a local registry: RR_DOCKER_IO_ORIGIN (for tests only) points
 * Docker Hub's origin at it, so nothing leaves the machine.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { integrationSkipReason, Sandbox } from "../helpers/rr.ts";
import { writeFixtures } from "../helpers/fixtures.ts";
import { registrySkipReason, rrAsync, skopeoCopy, startRegistry, type RunningRegistry } from "../helpers/registry.ts";
import { startFaultServer } from "../helpers/fault-server.ts";

const skip = integrationSkipReason() ?? registrySkipReason();

describe.skipIf(!!skip)(`docker.io registry mirrors${skip ? ` — skipped: ${skip}` : ""}`, () => {
  let sb: Sandbox;
  let origin: RunningRegistry, mirror: RunningRegistry;
  let env: Record<string, string>;
  let n = 0;
  const fresh = () => ({ ...env, RR_ROOT: sb.path(`store-${++n}`) });

  beforeAll(async () => {
    sb = new Sandbox();
    const files = writeFixtures(sb);
    [origin, mirror] = await Promise.all([startRegistry(), startRegistry()]);
    await Promise.all([
      skopeoCopy(`docker-archive:${files.busybox}`, `docker://${mirror.host}/library/mirrored:1`),
      skopeoCopy(`docker-archive:${files.busybox}`, `docker://${origin.host}/library/origin-only:1`),
    ]);
    mkdirSync(sb.path("config"), { mode: 0o755 });
    writeFileSync(sb.path("config/daemon.json"), JSON.stringify({ "registry-mirrors": [`http://${mirror.host}`] }));
    env = { RR_CONFIG_DIR: sb.path("config"), RR_DOCKER_IO_ORIGIN: origin.host };
  }, 30_000);
  afterAll(async () => {
    await Promise.all([origin, mirror].filter(Boolean).map((r) => r.cleanup()));
    sb?.cleanup();
  });

  test("the mirror serves a docker.io image the origin does not have", () => {
    const out = sb.ok("root", ["pull", "mirrored:1"], { env: fresh() });
    expect(out).toContain("Status: Downloaded newer image for mirrored:1");
    expect(out.trimEnd().split("\n").at(-1)).toBe("docker.io/library/mirrored:1");
  });

  test("a mirror that lacks the image (404) falls back to the origin", () => {
    const e = fresh();
    expect(sb.ok("root", ["pull", "-q", "origin-only:1"], { env: e })).toBe("docker.io/library/origin-only:1\n");
    expect(sb.ok("root", ["run", "--rm", "origin-only:1", "echo", "from origin"], { env: e })).toBe("from origin\n");
  });

  test("without the mirror in daemon.json, the mirror-only image is not found", () => {
    const r = sb.rr("root", ["pull", "mirrored:1"], { env: { ...fresh(), RR_CONFIG_DIR: sb.path("no-config") } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("rr: pull mirrored:1: GET /v2/library/mirrored/manifests/1: 404 manifest unknown");
  });

  test("a mirror that breaks off in the middle of a layer: the origin sends the rest", async () => {
    // the same image on both; the mirror is reached through a proxy that resets every layer download mid-body
    const files = writeFixtures(sb);
    await Promise.all([origin, mirror].map((r) => skopeoCopy(`docker-archive:${files.multi}`, `docker://${r.host}/library/both:1`)));
    const proxy = startFaultServer(mirror.host);
    try {
      proxy.fault = { kind: "reset", match: /\/blobs\/sha256:/ };
      const config = sb.path("config-broken-mirror");
      mkdirSync(config, { recursive: true, mode: 0o755 });
      writeFileSync(`${config}/daemon.json`, JSON.stringify({ "registry-mirrors": [`http://${proxy.host}`] }));
      const e = { ...fresh(), RR_CONFIG_DIR: config };
      // async: the proxy lives in this process and must keep answering while rr runs
      const r = await rrAsync(sb, "root", ["pull", "-q", "both:1"], { env: e });
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe("docker.io/library/both:1\n");
      expect(proxy.hits).toBeGreaterThan(0);
      expect(sb.ok("root", ["run", "--rm", "both:1", "ls", "/data/opq"], { env: e })).toBe("c\n");
    } finally {
      proxy.stop();
    }
  });

  test("a stopped mirror falls back to the origin", async () => {
    await mirror.stop();
    expect(sb.ok("root", ["pull", "-q", "origin-only:1"], { env: fresh() })).toBe("docker.io/library/origin-only:1\n");
    const r = sb.rr("root", ["pull", "mirrored:1"], { env: fresh() });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("404 manifest unknown"); // the origin's answer is the one reported
  });
});
