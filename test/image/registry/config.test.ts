import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isInsecure, isLoopbackHost, loadRegistryConfig, parseDaemonConfig } from "../../../src/image/registry/daemon-config.ts";
import { authKey, lookupCredentials, normalizeAuthKey, removeCredentials, storeCredentials } from "../../../src/image/registry/credentials.ts";
import { readEndpoints } from "../../../src/image/registry/endpoints.ts";

const none = { registryMirrors: [], insecureRegistries: [] };

describe("daemon.json", () => {
  test("parseDaemonConfig() reads mirrors and insecure registries, trimming slashes", () => {
    expect(parseDaemonConfig('{"registry-mirrors": ["https://m.example/"], "insecure-registries": ["r:5000"], "debug": true}'))
      .toEqual({ registryMirrors: ["https://m.example"], insecureRegistries: ["r:5000"] });
  });
  test("a mirror that is not an http(s) URL is refused with a hint", () => {
    expect(() => parseDaemonConfig('{"registry-mirrors": ["m.example"]}')).toThrow(/is not a URL/);
    expect(() => parseDaemonConfig('{"registry-mirrors": ["ftp://m"]}')).toThrow(/http or https/);
    expect(() => parseDaemonConfig('{"registry-mirrors": "x"}')).toThrow(/list of strings/);
  });
  test("RR_CONFIG_DIR replaces the system and user files", () => {
    const dir = mkdtempSync(join(tmpdir(), "rr-cfg-"));
    writeFileSync(join(dir, "daemon.json"), '{"registry-mirrors": ["http://127.0.0.1:1"]}');
    expect(loadRegistryConfig({ RR_CONFIG_DIR: dir }).registryMirrors).toEqual(["http://127.0.0.1:1"]);
    rmSync(dir, { recursive: true });
  });
  test("loopback is plain HTTP; other hosts only when listed (host or CIDR)", () => {
    for (const h of ["127.0.0.1:5000", "localhost", "localhost:5000", "127.3.4.5", "[::1]:5000"]) expect(isLoopbackHost(h)).toBe(true);
    expect(isLoopbackHost("128.0.0.1")).toBe(false);
    const cfg = { registryMirrors: [], insecureRegistries: ["reg.lan:5000", "10.0.0.0/8"] };
    expect(isInsecure("reg.lan:5000", cfg)).toBe(true);
    expect(isInsecure("10.1.2.3:5000", cfg)).toBe(true);
    expect(isInsecure("11.1.2.3", cfg)).toBe(false);
    expect(isInsecure("quay.io", cfg)).toBe(false);
  });
  test("mirrors apply to docker.io only, before the origin", () => {
    const cfg = { registryMirrors: ["https://m1", "http://m2:5000"], insecureRegistries: [] };
    expect(readEndpoints("docker.io", cfg, {}).map((e) => e.base)).toEqual(["https://m1", "http://m2:5000", "https://registry-1.docker.io"]);
    expect(readEndpoints("quay.io", cfg, {}).map((e) => e.base)).toEqual(["https://quay.io"]);
    expect(readEndpoints("docker.io", none, { RR_DOCKER_IO_ORIGIN: "127.0.0.1:9" }).map((e) => e.base)).toEqual(["http://127.0.0.1:9"]);
  });
});

describe("credentials", () => {
  test("Docker Hub's keys all mean docker.io; others reduce to host:port", () => {
    expect(authKey("docker.io")).toBe("https://index.docker.io/v1/");
    expect(normalizeAuthKey("https://index.docker.io/v1/")).toBe("docker.io");
    expect(normalizeAuthKey("http://r:5000/v2/")).toBe("r:5000");
  });
  test("stored credentials are 0600, found again, and removed by logout", () => {
    const dir = mkdtempSync(join(tmpdir(), "rr-cred-"));
    const env = { RR_CONFIG_DIR: join(dir, "rr"), HOME: dir };
    const file = storeCredentials("docker.io", { username: "u", password: "p:w" }, env);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "rr")).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(file, "utf8")).auths["https://index.docker.io/v1/"].auth).toBe(Buffer.from("u:p:w").toString("base64"));
    expect(lookupCredentials("docker.io", env)).toEqual({ username: "u", password: "p:w" });
    expect(removeCredentials("index.docker.io", env)).toBe(true);
    expect(lookupCredentials("docker.io", env)).toBeUndefined();
    expect(removeCredentials("docker.io", env)).toBe(false);
    rmSync(dir, { recursive: true });
  });
  test("REGISTRY_AUTH_FILE comes first, then rr's file, then ~/.docker/config.json", () => {
    const dir = mkdtempSync(join(tmpdir(), "rr-cred-"));
    const entry = (u: string) => ({ auth: Buffer.from(`${u}:pw`).toString("base64") });
    Bun.spawnSync(["mkdir", "-p", join(dir, ".docker"), join(dir, "rr")]);
    writeFileSync(join(dir, ".docker/config.json"), JSON.stringify({ auths: { "r:1": entry("docker"), "r:2": entry("docker") , "r:3": entry("docker") } }));
    writeFileSync(join(dir, "rr/auth.json"), JSON.stringify({ auths: { "r:1": entry("rr"), "r:2": entry("rr") } }));
    writeFileSync(join(dir, "env.json"), JSON.stringify({ auths: { "https://r:1": entry("env") } }));
    const env = { HOME: dir, RR_CONFIG_DIR: join(dir, "rr"), REGISTRY_AUTH_FILE: join(dir, "env.json") };
    expect(lookupCredentials("r:1", env)?.username).toBe("env");
    expect(lookupCredentials("r:2", env)?.username).toBe("rr");
    expect(lookupCredentials("r:3", env)?.username).toBe("docker");
    expect(lookupCredentials("r:4", env)).toBeUndefined();
    rmSync(dir, { recursive: true });
  });
});
