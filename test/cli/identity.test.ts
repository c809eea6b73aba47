/**
 * Identity modes from the outside: `rr info`, `rr unshare`, and a store
 * that refuses to be used with another id mapping than it was made with.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { integrationSkipReason, Sandbox, userIds } from "../helpers/rr.ts";
import { writeFixtures } from "../helpers/fixtures.ts";

const skip = integrationSkipReason();

describe.skipIf(!!skip)(`identity${skip ? ` — skipped: ${skip}` : ""}`, () => {
  let sb: Sandbox;
  beforeAll(() => {
    sb = new Sandbox();
    const f = writeFixtures(sb);
    sb.ok("rootless", ["load", "-i", f.busybox]);
  });
  afterAll(() => sb?.cleanup());

  test("rr info --format json reports each mode and its mappings", () => {
    const root = JSON.parse(sb.ok("root", ["info", "--format", "json"]));
    expect(root.identity.mode).toBe("root");
    const rootless = JSON.parse(sb.ok("rootless", ["info", "--format", "json"]));
    expect(rootless.identity.mode).toBe("rootless");
    expect(rootless.uidMap[0]).toEqual({ containerId: 0, hostId: userIds()!.uid, size: 1 });
    expect(rootless.uidMap[1].size).toBe(65536);
    expect(rootless.storageDriver).toBe("overlay");
    const single = JSON.parse(sb.ok("rootless-single", ["info", "--format", "json"]));
    expect(single.identity.mode).toBe("rootless-single");
    expect(single.identity.reason).toBe("RR_USERNS=single");
    expect(single.uidMap).toEqual([{ containerId: 0, hostId: userIds()!.uid, size: 1 }]);
  });

  test("rr info prints a readable summary with cgroup support", () => {
    const text = sb.ok("rootless", ["info"]);
    expect(text).toMatch(/^Identity:\s+rootless/m);
    expect(text).toMatch(/^Cgroups:\s+v[12]/m);
  });

  test("rr unshare makes the user root of rr's user namespace", () => {
    expect(sb.ok("rootless", ["unshare", "id", "-u"])).toBe("0\n");
    const map = sb.ok("rootless", ["unshare", "cat", "/proc/self/uid_map"]);
    expect(map.trim().split("\n")).toHaveLength(2);
    expect(sb.rr("rootless", ["unshare", "sh", "-c", "exit 9"]).code).toBe(9);
  });

  test("a store made with subordinate ids refuses the single-id mapping", () => {
    const r = sb.rr("rootless-single", ["images"], { env: { RR_ROOT: sb.storeRoot("rootless") } });
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n")[0]).toMatch(/^rr: .*store.*(made|created).*rootless/);
    // and nothing changed: the rootless user still runs from it
    expect(sb.ok("rootless", ["run", "--rm", "busybox", "echo", "still fine"])).toBe("still fine\n");
  });

  test("a bunfig.toml or .env in the current directory never reaches into rr", () => {
    const dir = sb.path("hostile-cwd");
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    writeFileSync(join(dir, "bunfig.toml"), 'preload = ["./evil.js"]\n');
    writeFileSync(join(dir, "evil.js"), 'console.log("PWNED");\n');
    writeFileSync(join(dir, ".env"), "RR_USERNS=single\n");
    const r = sb.rr("rootless", ["info", "--format", "json"], { cwd: dir });
    expect(r.stdout + r.stderr).not.toContain("PWNED");
    expect(JSON.parse(r.stdout).identity.mode).toBe("rootless");
  });

  test("a failing newuidmap is a clear error, not a hang", () => {
    const { argv, env } = sb.command("rootless", ["run", "--rm", "busybox", "true"]);
    // no_new_privs keeps the setuid newuidmap from gaining its privileges
    const withNnp = [argv[0]!, "--no-new-privs", ...argv.slice(1)];
    const r = Bun.spawnSync(["timeout", "20", ...withNnp], { env, stdout: "pipe", stderr: "pipe" });
    expect(r.exitCode).toBe(125);
    expect(r.stderr.toString()).toContain("id mapping failed (newuidmap/newgidmap)");
    expect(sb.ok("rootless", ["ps", "-a", "-q"])).toBe("");
  });

  test("a cached one-shot leaves no container behind (--rm)", () => {
    sb.ok("rootless", ["run", "--rm", "busybox", "true"]);
    expect(sb.ok("rootless", ["ps", "-a", "-q"])).toBe("");
  });
});
