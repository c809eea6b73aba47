/**
 * A real registry for tests: Debian's `docker-registry` (distribution 2.8)
 * on 127.0.0.1 with its storage in a temporary directory, anonymous, with
 * htpasswd basic auth, or trusting a test token server. Started and stopped
 * by the tests, by PID.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { MediaType } from "../../src/image/image-config.ts";
import { parseReference } from "../../src/image/reference.ts";
import { RegistryClient } from "../../src/image/registry/client.ts";
import { tarBytes } from "../../src/image/tar-writer.ts";
import { busyboxLayer, imageConfigFor } from "../fixtures/images.ts";
import type { Mode, RunResult, Sandbox } from "./rr.ts";
import type { TokenServer } from "./token-server.ts";

export const REGISTRY_BIN = "/usr/bin/docker-registry";

export interface RegistryUser {
  user: string;
  password: string;
}

export interface RegistryOptions {
  auth?: "none" | "htpasswd" | "token";
  users?: RegistryUser[];
  token?: TokenServer;
  /** Accept manifests whose (foreign) layers name URLs on 127.0.0.1. */
  allowForeignUrls?: boolean;
}

export interface RunningRegistry {
  /** `127.0.0.1:PORT`: the registry part of a reference. */
  host: string;
  port: number;
  dir: string;
  pid: number;
  /** Stops it (SIGTERM) and waits; `restart` brings it back on the same port with the same data. */
  stop(): Promise<void>;
  kill(): void;
  restart(): Promise<void>;
  cleanup(): Promise<void>;
}

/** Why registry tests cannot run here, or undefined. */
export function registrySkipReason(): string | undefined {
  if (!Bun.which("docker-registry") && !Bun.file(REGISTRY_BIN).size) return "docker-registry is not installed (apt-get install docker-registry)";
  if (!Bun.which("skopeo")) return "skopeo is not installed";
  return undefined;
}

export async function freePort(): Promise<number> {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

export async function startRegistry(opts: RegistryOptions = {}): Promise<RunningRegistry> {
  const dir = mkdtempSync(join(tmpdir(), "rr-registry-"));
  const port = await freePort();
  let auth = "";
  if (opts.auth === "htpasswd") {
    const lines = await Promise.all((opts.users ?? []).map(async (u) => `${u.user}:${await Bun.password.hash(u.password, { algorithm: "bcrypt", cost: 4 })}`));
    writeFileSync(join(dir, "htpasswd"), lines.join("\n") + "\n");
    auth = `auth:\n  htpasswd:\n    realm: rr-test\n    path: ${join(dir, "htpasswd")}\n`;
  } else if (opts.auth === "token") {
    const t = opts.token!;
    auth = `auth:\n  token:\n    realm: ${t.realm}\n    service: ${t.service}\n    issuer: ${t.issuer}\n    rootcertbundle: ${t.certFile}\n`;
  }
  writeFileSync(join(dir, "config.yml"), `version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${join(dir, "data")}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:${port}
  secret: rr-test-secret
${auth}${opts.allowForeignUrls ? "validation:\n  manifests:\n    urls:\n      allow:\n        - '^http://127\\.0\\.0\\.1:'\n" : ""}`);
  let proc: ReturnType<typeof Bun.spawn>;
  const launch = async () => {
    proc = Bun.spawn([REGISTRY_BIN, "serve", join(dir, "config.yml")], { stdout: "ignore", stderr: "pipe" });
    await waitForV2(port, proc);
  };
  await launch();
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill("SIGTERM");
      await proc.exited;
    }
  };
  return {
    host: `127.0.0.1:${port}`, port, dir,
    get pid() { return proc.pid; },
    stop,
    kill: () => proc.kill("SIGKILL"),
    restart: async () => { await stop(); await launch(); },
    cleanup: async () => { await stop(); rmSync(dir, { recursive: true, force: true }); },
  };
}

async function waitForV2(port: number, proc: ReturnType<typeof Bun.spawn>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) {
      const err = await new Response(proc.stderr as ReadableStream).text();
      throw new Error(`docker-registry exited ${proc.exitCode}: ${err}`);
    }
    try {
      const r = await fetch(`http://127.0.0.1:${port}/v2/`);
      await r.arrayBuffer();
      if (r.status === 200 || r.status === 401) return;
    } catch {}
    await Bun.sleep(25);
  }
  proc.kill("SIGKILL");
  throw new Error(`docker-registry did not answer on 127.0.0.1:${port}`);
}

/**
 * Copies an image with skopeo, e.g. `docker-archive:FILE` → `docker://HOST/NAME`.
 * Asynchronous on purpose: a token server in this process must keep answering.
 */
export async function skopeoCopy(src: string, dest: string, extra: string[] = [], creds?: RegistryUser): Promise<void> {
  const args = ["skopeo", "copy", "-q", "--dest-tls-verify=false", ...(creds ? ["--dest-creds", `${creds.user}:${creds.password}`] : []), ...extra, src, dest];
  const p = Bun.spawn(args, { stderr: "pipe", stdout: "ignore", env: { ...process.env, REGISTRY_AUTH_FILE: NO_AUTH_FILE } });
  const err = await new Response(p.stderr).text();
  if ((await p.exited) !== 0) throw new Error(`${args.join(" ")} failed: ${err}`);
}

/** Keeps skopeo away from the machine's own credentials. */
export const NO_AUTH_FILE = "/nonexistent/rr-test-auth.json";

/**
 * Runs rr without blocking this process: servers that live in the test
 * process (token server, fault proxy) must keep answering while rr runs.
 */
export async function rrAsync(sb: Sandbox, mode: Mode, args: string[], opts: { env?: Record<string, string>; stdin?: string } = {}): Promise<RunResult> {
  const { argv, env } = sb.command(mode, args, opts.env);
  const p = Bun.spawn(argv, { env, cwd: sb.dir, stdin: opts.stdin === undefined ? "ignore" : Buffer.from(opts.stdin), stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}

/**
 * Uploads a two-platform index (linux/amd64 and linux/arm64/v8, both the
 * busybox layer, configs differing by architecture) with rr's own client.
 * Returns the index digest and each platform's config digest.
 */
export async function pushTwoPlatformIndex(host: string, name: string): Promise<{ index: string; configs: Record<string, string> }> {
  const ref = parseReference(`${host}/${name}`);
  const client = new RegistryClient(host, { config: { registryMirrors: [], insecureRegistries: [] }, credentials: null, env: {} });
  const tar = tarBytes(busyboxLayer());
  const layer = gzipSync(tar);
  const digest = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
  const one = async function* (b: Uint8Array) { yield b; };
  await client.uploadBlob(ref, digest(layer), layer.length, one(layer));
  const configs: Record<string, string> = {};
  const entries = [];
  for (const p of [{ architecture: "amd64" }, { architecture: "arm64", variant: "v8" }]) {
    const config = Buffer.from(JSON.stringify({ ...imageConfigFor({ repoTags: [], layers: [] }, [digest(tar).slice(7)]), ...p }));
    await client.uploadBlob(ref, digest(config), config.length, one(config));
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: MediaType.ociManifest,
      config: { mediaType: MediaType.ociConfig, digest: digest(config), size: config.length },
      layers: [{ mediaType: MediaType.ociLayerGzip, digest: digest(layer), size: layer.length }],
    }));
    const md = await client.putManifest(parseReference(`${host}/${ref.repository}@${digest(manifest)}`), manifest, MediaType.ociManifest);
    configs[[p.architecture, p.variant].filter(Boolean).join("/")] = digest(config);
    entries.push({ mediaType: MediaType.ociManifest, digest: md, size: manifest.length, platform: { os: "linux", ...p } });
  }
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: entries }));
  return { index: await client.putManifest(ref, index, MediaType.ociIndex), configs };
}
