/**
 * `rr login` / `rr logout` and pulls that need credentials: a registry with
 * htpasswd basic auth, and one trusting a token server (Docker's token
 * spec), in every identity mode.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chownSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { integrationSkipReason, MODES, Sandbox, userIds, type Mode } from "../helpers/rr.ts";
import { writeFixtures } from "../helpers/fixtures.ts";
import { registrySkipReason, rrAsync, skopeoCopy, startRegistry, type RunningRegistry } from "../helpers/registry.ts";
import { startTokenServer, type TokenServer } from "../helpers/token-server.ts";

const skip = integrationSkipReason() ?? registrySkipReason();
const USER = { user: "bob", password: "pa ss:word" };

describe.skipIf(!!skip)(`rr login and authenticated pulls${skip ? ` — skipped: ${skip}` : ""}`, () => {
  let sb: Sandbox;
  let basic: RunningRegistry, tokenReg: RunningRegistry;
  let tokens: TokenServer;

  const configDir = (mode: Mode) => sb.path(`config-${mode}`);
  const envFor = (mode: Mode, extra: Record<string, string> = {}) => ({ RR_CONFIG_DIR: configDir(mode), ...extra });

  beforeAll(async () => {
    sb = new Sandbox();
    const files = writeFixtures(sb);
    for (const mode of MODES) {
      mkdirSync(configDir(mode), { mode: 0o700 });
      if (mode !== "root") chownSync(configDir(mode), userIds()!.uid, userIds()!.gid);
    }
    tokens = startTokenServer({ users: [USER] });
    [basic, tokenReg] = await Promise.all([startRegistry({ auth: "htpasswd", users: [USER] }), startRegistry({ auth: "token", token: tokens })]);
    await Promise.all([
      skopeoCopy(`docker-archive:${files.busybox}`, `docker://${basic.host}/private/busybox:1`, [], USER),
      skopeoCopy(`docker-archive:${files.busybox}`, `docker://${tokenReg.host}/private/busybox:1`, [], USER),
    ]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([basic, tokenReg].filter(Boolean).map((r) => r.cleanup()));
    tokens?.stop();
    sb?.cleanup();
  });

  for (const mode of MODES) {
    for (const kind of ["basic", "token"] as const) {
      test(`pull needs login, login saves 0600 credentials, pull and run work, logout forgets (${kind}, ${mode})`, async () => {
        const host = kind === "basic" ? basic.host : tokenReg.host;
        const env = envFor(mode);
        const ref = `${host}/private/busybox:1`;
        const denied = await rrAsync(sb, mode, ["pull", ref], { env });
        expect(denied.code).toBe(1);
        expect(denied.stderr).toStartWith(`rr: pull ${ref}: `);
        expect(denied.stderr).toContain("401");

        const wrong = await rrAsync(sb, mode, ["login", "-u", USER.user, "--password-stdin", host], { env, stdin: "nope\n" });
        expect(wrong.code).toBe(1);
        expect(wrong.stderr).toStartWith(`rr: login ${host}: `);

        const login = await rrAsync(sb, mode, ["login", "-u", USER.user, "--password-stdin", host], { env, stdin: `${USER.password}\n` });
        expect(login.stderr).toBe("");
        expect(login.stdout).toBe("Login Succeeded\n");
        const file = join(configDir(mode), "auth.json");
        expect(statSync(file).mode & 0o777).toBe(0o600);
        const saved = JSON.parse(readFileSync(file, "utf8"));
        expect(Buffer.from(saved.auths[host].auth, "base64").toString()).toBe(`${USER.user}:${USER.password}`);

        const pull = await rrAsync(sb, mode, ["pull", "-q", ref], { env });
        expect(pull.stderr.replace(/^rr: warning: image has files owned by ids other than 0.*\n/m, "")).toBe("");
        expect(pull.stdout).toBe(`${ref}\n`);
        expect((await rrAsync(sb, mode, ["run", "--rm", ref, "echo", "authenticated"], { env })).stdout).toBe("authenticated\n");

        const logout = await rrAsync(sb, mode, ["logout", host], { env });
        expect(logout.stdout).toBe(`Removing login credentials for ${host}\n`);
        expect(JSON.parse(readFileSync(file, "utf8")).auths[host]).toBeUndefined();
        expect((await rrAsync(sb, mode, ["logout", host], { env })).stdout).toBe(`Not logged in to ${host}\n`);
        const again = await rrAsync(sb, mode, ["pull", `${host}/private/busybox:other`], { env });
        expect(again.code).toBe(1);
      });
    }
  }

  test("credentials in REGISTRY_AUTH_FILE (Docker's config.json format) are used", async () => {
    const authFile = sb.path("docker-config.json");
    writeFileSync(authFile, JSON.stringify({ auths: { [`http://${basic.host}/v1/`]: { auth: Buffer.from(`${USER.user}:${USER.password}`).toString("base64") } } }));
    const r = await rrAsync(sb, "root", ["pull", "-q", `${basic.host}/private/busybox:1`], { env: envFor("root", { REGISTRY_AUTH_FILE: authFile, RR_ROOT: sb.path("authfile-store") }) });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  test("login without a password on a non-terminal says how to give one", async () => {
    const r = await rrAsync(sb, "root", ["login", "-u", "x", basic.host], { env: envFor("root") });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Cannot perform an interactive login from a non TTY device");
  });
});
