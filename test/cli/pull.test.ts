/**
 * `rr pull` and `rr run --pull` against a real registry (distribution 2.8),
 * with images pushed by skopeo as Docker gzip, OCI gzip, OCI zstd, and a
 * two-platform OCI index, in every identity mode.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync } from "node:fs";
import { integrationSkipReason, MODES, Sandbox } from "../helpers/rr.ts";
import { writeFixtures } from "../helpers/fixtures.ts";
import { pushTwoPlatformIndex, registrySkipReason, skopeoCopy, startRegistry, type RunningRegistry } from "../helpers/registry.ts";

const skip = integrationSkipReason() ?? registrySkipReason();

describe.skipIf(!!skip)(`rr pull from a registry${skip ? ` — skipped: ${skip}` : ""}`, () => {
  let sb: Sandbox;
  let reg: RunningRegistry;
  let host: string;
  let index: Awaited<ReturnType<typeof pushTwoPlatformIndex>>;
  let env: Record<string, string>;

  beforeAll(async () => {
    sb = new Sandbox();
    const files = writeFixtures(sb);
    // An empty config dir: the machine's daemon.json and credentials stay out of the tests.
    mkdirSync(sb.path("config"), { mode: 0o755 });
    env = { RR_CONFIG_DIR: sb.path("config") };
    reg = await startRegistry();
    host = reg.host;
    await Promise.all([
      skopeoCopy(`docker-archive:${files.busybox}`, `docker://${host}/lib/busybox:docker`),
      skopeoCopy(`docker-archive:${files.multi}`, `docker://${host}/lib/multi:oci`, ["--format", "oci"]),
      skopeoCopy(`docker-archive:${files.busybox}`, `docker://${host}/lib/busybox:zstd`, ["--format", "oci", "--dest-compress-format", "zstd"]),
    ]);
    index = await pushTwoPlatformIndex(host, "lib/multiarch:1");
    chmodSync(sb.dir, 0o755);
  }, 60_000);
  afterAll(async () => {
    await reg?.cleanup();
    sb?.cleanup();
  });

  for (const mode of MODES) {
    test(`pull prints docker's plain lines, and the image runs (${mode})`, () => {
      const r = sb.rr(mode, ["pull", `${host}/lib/busybox:docker`], { env });
      // rootless-single warns (once, on stderr) that the image's uid 1000 files belong to root
      expect(r.stderr.replace(/^rr: warning: image has files owned by ids other than 0.*\n/m, "")).toBe("");
      expect(r.code).toBe(0);
      const lines = r.stdout.trim().split("\n");
      expect(lines[0]).toBe("docker: Pulling from lib/busybox");
      expect(lines).toContainEqual(expect.stringMatching(/^[0-9a-f]{12}: Pull complete$/));
      expect(lines.at(-3)).toMatch(/^Digest: sha256:[0-9a-f]{64}$/);
      expect(lines.at(-2)).toBe(`Status: Downloaded newer image for ${host}/lib/busybox:docker`);
      expect(lines.at(-1)).toBe(`${host}/lib/busybox:docker`);
      expect(sb.ok(mode, ["run", "--rm", `${host}/lib/busybox:docker`, "echo", "hi"], { env })).toBe("hi\n");
      const again = sb.ok(mode, ["pull", `${host}/lib/busybox:docker`], { env });
      expect(again).toContain(`Status: Image is up to date for ${host}/lib/busybox:docker`);
      expect(again).not.toContain("Pull complete");
    });

    test(`an OCI image with two gzip layers and whiteouts pulls and runs (${mode})`, () => {
      expect(sb.ok(mode, ["pull", "-q", `${host}/lib/multi:oci`], { env })).toBe(`${host}/lib/multi:oci\n`);
      const out = sb.ok(mode, ["run", "--rm", `${host}/lib/multi:oci`, "sh", "-c", "test -e /etc/removed || echo gone; ls /data/opq"], { env });
      expect(out).toBe("gone\nc\n");
    });

    test(`an OCI image with zstd layers pulls and runs (${mode})`, () => {
      sb.ok(mode, ["pull", "-q", `${host}/lib/busybox:zstd`], { env });
      expect(sb.ok(mode, ["run", "--rm", `${host}/lib/busybox:zstd`, "echo", "zstd"], { env })).toBe("zstd\n");
    });

    test(`run --pull missing pulls with its output on stderr; stdout stays the container's (${mode})`, () => {
      const r = sb.rr(mode, ["run", "--rm", `${host}/lib/multiarch:1`, "echo", "clean"], { env });
      expect(r.code).toBe(0);
      expect(r.stdout).toBe("clean\n");
      expect(r.stderr).toContain(`Unable to find image '${host}/lib/multiarch:1' locally`);
      expect(r.stderr).toContain(`Digest: ${index.index}`);
      expect(sb.ok(mode, ["inspect", "--format", "{{.Id}}", `${host}/lib/multiarch:1`], { env }).trim()).toBe(index.configs.amd64!);
    });
  }

  test("--platform picks the arm64/v8 entry of an index", () => {
    sb.ok("root", ["pull", "-q", "--platform", "linux/arm64/v8", `${host}/lib/multiarch:1`], { env: { ...env, RR_ROOT: sb.path("arm-store") } });
    const id = sb.ok("root", ["inspect", "--format", "{{.Id}}", `${host}/lib/multiarch:1`], { env: { ...env, RR_ROOT: sb.path("arm-store") } });
    expect(id.trim()).toBe(index.configs["arm64/v8"]!);
  });

  test("a platform the index lacks is a clear error that lists what there is", () => {
    const r = sb.rr("root", ["pull", "--platform", "linux/s390x", `${host}/lib/multiarch:1`], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no matching manifest for linux/s390x in the manifest list entries");
    expect(r.stderr).toContain("linux/amd64, linux/arm64/v8");
  });

  test("run --pull never keeps the No such image error (125)", () => {
    const r = sb.rr("root", ["run", "--rm", "--pull", "never", `${host}/lib/busybox:zstd-never`], { env });
    expect(r.code).toBe(125);
    expect(r.stderr).toContain(`No such image: ${host}/lib/busybox:zstd-never`);
  });

  test("run --pull always asks the registry even when the image is here", () => {
    sb.ok("root", ["pull", "-q", `${host}/lib/busybox:docker`], { env });
    const r = sb.rr("root", ["run", "--rm", "--pull", "always", `${host}/lib/busybox:docker`, "true"], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("Status: Image is up to date");
  });

  test("create --pull missing|always|never, as run's", () => {
    const store = { ...env, RR_ROOT: sb.path("create-pull-store") };
    const never = sb.rr("root", ["create", "--pull", "never", `${host}/lib/busybox:docker`, "true"], { env: store });
    expect(never.code).toBe(125);
    expect(never.stderr).toContain(`No such image: ${host}/lib/busybox:docker`);
    const missing = sb.rr("root", ["create", `${host}/lib/busybox:docker`, "echo", "created"], { env: store });
    expect(missing.code).toBe(0);
    expect(missing.stderr).toContain(`Unable to find image '${host}/lib/busybox:docker' locally`);
    expect(missing.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    const always = sb.rr("root", ["create", "--pull", "always", `${host}/lib/busybox:docker`, "true"], { env: store });
    expect(always.code).toBe(0);
    expect(always.stderr).toContain("Status: Image is up to date");
    expect(sb.rr("root", ["start", "-a", missing.stdout.trim()], { env: store }).stdout).toBe("created\n");
  });

  test("a missing tag fails run with 125 and pull with 1, each in one line plus a hint", () => {
    const run = sb.rr("root", ["run", "--rm", `${host}/lib/nothing:here`], { env });
    expect(run.code).toBe(125);
    expect(run.stderr).toContain(`rr: pull ${host}/lib/nothing:here: GET /v2/lib/nothing/manifests/here: 404 manifest unknown\n`);
    const pull = sb.rr("root", ["pull", `${host}/lib/nothing:here`], { env });
    expect(pull.code).toBe(1);
  });

  test("a pull by digest names no tag and runs by that digest", () => {
    const root = sb.path("digest-store");
    const m = sb.ok("root", ["manifest", "inspect", `${host}/lib/busybox:docker`], { env });
    expect(JSON.parse(m).schemaVersion).toBe(2);
    const digestLine = sb.ok("root", ["pull", `${host}/lib/busybox:docker`], { env: { ...env, RR_ROOT: root } }).split("\n").find((l) => l.startsWith("Digest: "))!;
    const digest = digestLine.slice("Digest: ".length);
    const r = sb.ok("root", ["pull", "-q", `${host}/lib/busybox@${digest}`], { env: { ...env, RR_ROOT: sb.path("digest-store-2") } });
    expect(r).toBe(`${host}/lib/busybox@${digest}\n`);
    expect(sb.ok("root", ["run", "--rm", `${host}/lib/busybox@${digest}`, "echo", "by digest"], { env: { ...env, RR_ROOT: sb.path("digest-store-2") } })).toBe("by digest\n");
  });

  test("pull -a fetches every tag of the repository; a tag with -a is refused", () => {
    const root = sb.path("all-tags-store");
    const out = sb.ok("root", ["pull", "-a", "-q", `${host}/lib/busybox`], { env: { ...env, RR_ROOT: root } });
    expect(out).toBe(`${host}/lib/busybox:docker\n${host}/lib/busybox:zstd\n`);
    const tags = sb.ok("root", ["images", "--format", "{{.Tag}}"], { env: { ...env, RR_ROOT: root } }).trim().split("\n").sort();
    expect(tags).toEqual(["docker", "zstd"]);
    const r = sb.rr("root", ["pull", "-a", `${host}/lib/busybox:docker`], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("tag can't be used with --all-tags/-a");
  });
});
