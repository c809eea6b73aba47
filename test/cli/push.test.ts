/**
 * `rr push` against a real registry (Debian's docker-registry on
 * 127.0.0.1): what rr pushes, skopeo copies back with the same manifest
 * digest; a second push finds every layer there; another repository of
 * the same registry gets layers mounted; chunked uploads work.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { integrationSkipReason, MODES, Sandbox } from "../helpers/rr.ts";
import { writeFixtures, type FixtureFiles } from "../helpers/fixtures.ts";
import { NO_AUTH_FILE, registrySkipReason, startRegistry, type RunningRegistry } from "../helpers/registry.ts";

const skip = integrationSkipReason() ?? registrySkipReason();

/**
 * The manifest digest skopeo gets from the registry, via an OCI layout it
 * writes (--preserve-digests: skopeo would otherwise gzip uncompressed layers for oci:).
 */
function skopeoDigest(ref: string): string {
  const dir = mkdtempSync(join(tmpdir(), "rr-push-oci-"));
  try {
    const p = Bun.spawnSync(["skopeo", "copy", "-q", "--preserve-digests", "--src-tls-verify=false", `docker://${ref}`, `oci:${dir}:x`], {
      stderr: "pipe", env: { ...process.env, REGISTRY_AUTH_FILE: NO_AUTH_FILE },
    });
    expect(p.stderr.toString()).toBe("");
    expect(p.exitCode).toBe(0);
    return JSON.parse(readFileSync(join(dir, "index.json"), "utf8")).manifests[0].digest;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!!skip)(`rr push${skip ? ` — skipped: ${skip}` : ""}`, () => {
  let sb: Sandbox;
  let reg: RunningRegistry;
  let f: FixtureFiles;
  beforeAll(async () => {
    sb = new Sandbox();
    f = writeFixtures(sb);
    reg = await startRegistry();
  });
  afterAll(async () => {
    await reg?.cleanup();
    sb?.cleanup();
  });

  /** The manifest digest the store holds for a full name. */
  const storedDigest = (mode: (typeof MODES)[number], fullName: string): string => {
    const index = JSON.parse(readFileSync(join(sb.storeRoot(mode), "index.json"), "utf8"));
    return index.manifests.find((m: { annotations?: Record<string, string> }) => m.annotations?.["org.opencontainers.image.ref.name"] === fullName).digest;
  };

  for (const mode of MODES) {
    test(`${mode}: push, push again, push to another repository; skopeo gets rr's manifest digest`, () => {
      const name = `${reg.host}/${mode}/busybox:1`;
      sb.ok(mode, ["load", "-i", f.busyboxOci]);
      sb.ok(mode, ["tag", "busybox-oci", name]);
      const digest = storedDigest(mode, name);
      const layer = JSON.parse(sb.ok(mode, ["inspect", "--format", "{{json .RootFS.Layers}}", name]))[0].slice(7, 19);
      const first = sb.rr(mode, ["push", name]);
      expect(first.stderr).toBe("");
      expect(first.stdout).toBe(`The push refers to repository [${reg.host}/${mode}/busybox]\n${layer}: Preparing\n${layer}: Pushed\n1: digest: ${digest} size: ${first.stdout.match(/size: (\d+)/)![1]}\n`);
      expect(skopeoDigest(name)).toBe(digest);

      expect(sb.ok(mode, ["push", name])).toContain(`${layer}: Layer already exists\n1: digest: ${digest} `);
      const other = sb.ok(mode, ["push", name, `${reg.host}/${mode}/copy:2`]);
      expect(other).toContain(`${layer}: Mounted from ${mode}/busybox\n2: digest: ${digest} `);
      expect(skopeoDigest(`${reg.host}/${mode}/copy:2`)).toBe(digest);
    });
  }

  test("a chunked push (RR_PUSH_CHUNK_SIZE) uploads by PATCH and copies back intact", async () => {
    // A recording proxy in front of the registry shows how the blobs went up.
    const seen: string[] = [];
    const proxy = Bun.serve({
      hostname: "127.0.0.1", port: 0,
      async fetch(req) {
        const url = new URL(req.url);
        seen.push(`${req.method} ${url.pathname.includes("/blobs/uploads/") ? "upload" : url.pathname}`);
        const body = req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer();
        const res = await fetch(`http://${reg.host}${url.pathname}${url.search}`, { method: req.method, headers: req.headers, body, redirect: "manual" });
        const headers = new Headers(res.headers);
        const loc = headers.get("location");
        if (loc) headers.set("location", loc.replace(`http://${reg.host}`, `http://127.0.0.1:${proxy.port}`));
        return new Response(req.method === "HEAD" ? null : await res.arrayBuffer(), { status: res.status, headers });
      },
    });
    try {
      const name = `127.0.0.1:${proxy.port}/chunked/multi:1`;
      sb.ok("root", ["load", "-i", f.multi]);
      sb.ok("root", ["tag", "multi", name]);
      const { argv, env } = sb.command("root", ["push", name], { RR_PUSH_CHUNK_SIZE: "65536" });
      const p = Bun.spawn(argv, { env, cwd: sb.dir, stdout: "pipe", stderr: "pipe" });
      const [out, err] = [await new Response(p.stdout).text(), await new Response(p.stderr).text()];
      expect(err).toBe("");
      expect(await p.exited).toBe(0);
      expect(out.match(/: Pushed$/gm)).toHaveLength(2);
      // the 2 MB busybox layer alone needs more than 30 PATCHes of 64 KiB
      expect(seen.filter((s) => s === "PATCH upload").length).toBeGreaterThan(30);
      expect(skopeoDigest(`${reg.host}/chunked/multi:1`)).toBe(storedDigest("root", name));
    } finally {
      proxy.stop(true);
    }
    const bad = sb.rr("root", ["push", "multi", `${reg.host}/x:1`], { env: { RR_PUSH_CHUNK_SIZE: "lots" } });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(`rr: RR_PUSH_CHUNK_SIZE must be a positive number of bytes, not "lots"\n`);
  });

  test("pushing an image that does not exist locally is exit 1 with a hint", () => {
    const r = sb.rr("root", ["push", `${reg.host}/nosuch:1`]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`rr: An image does not exist locally with the tag: ${reg.host}/nosuch:1\nGive the image that name first: 'rr tag IMAGE NAME[:TAG]'.\n`);
  });

  test("a registry that is not there is a one-line error, exit 1", async () => {
    const r = sb.rr("root", ["push", "multi", "127.0.0.1:1/nothing:1"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^rr: pushing 127\.0\.0\.1:1\/nothing:1: .*connection refused\n/);
  });
});
