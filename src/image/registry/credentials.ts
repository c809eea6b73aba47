/**
 * Registry credentials in Docker's config.json format
 * (`{"auths": {"host": {"auth": base64("user:pass")}}}`), read from, in
 * order: `$REGISTRY_AUTH_FILE`, rr's own `auth.json` (what `rr login`
 * writes), and `~/.docker/config.json` (or `$DOCKER_CONFIG/config.json`).
 * The first file that knows the registry wins. Docker Hub's key is
 * `https://index.docker.io/v1/`.
 */
import { chmodSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { RrError } from "../../errors.ts";
import { writeJsonAtomic } from "../../store/atomic.ts";
import { userConfigDir } from "./daemon-config.ts";

export interface Credentials {
  username: string;
  password: string;
}

type Env = Record<string, string | undefined>;
type AuthFile = { auths?: Record<string, { auth?: string; username?: string; password?: string }> } & Record<string, unknown>;

export const DOCKER_HUB_AUTH_KEY = "https://index.docker.io/v1/";
const DOCKER_HUB_ALIASES = new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);

/** The file `rr login` writes: `$REGISTRY_AUTH_FILE` when set (podman's meaning), else rr's own. */
export function loginAuthFile(env: Env = process.env): string {
  return env.REGISTRY_AUTH_FILE || join(userConfigDir(env), "auth.json");
}

export function authFiles(env: Env = process.env): string[] {
  const home = env.HOME ?? "/";
  const docker = join(env.DOCKER_CONFIG || join(home, ".docker"), "config.json");
  return [...new Set([env.REGISTRY_AUTH_FILE, join(userConfigDir(env), "auth.json"), docker].filter((f): f is string => !!f))];
}

/** The key a registry is stored under: Docker Hub's legacy URL, otherwise `host[:port]`. */
export function authKey(registry: string): string {
  return DOCKER_HUB_ALIASES.has(registry) ? DOCKER_HUB_AUTH_KEY : registry;
}

/** `https://host:5000/v1/`, `http://host`, `host/` → `host:5000`; Docker Hub's forms → `docker.io`. */
export function normalizeAuthKey(key: string): string {
  const host = key.replace(/^[a-z]+:\/\//, "").split("/")[0]!;
  return DOCKER_HUB_ALIASES.has(host) ? "docker.io" : host;
}

export function lookupCredentials(registry: string, env: Env = process.env): Credentials | undefined {
  const want = normalizeAuthKey(registry);
  for (const file of authFiles(env)) {
    const doc = readAuthFile(file);
    for (const [key, entry] of Object.entries(doc?.auths ?? {})) {
      if (normalizeAuthKey(key) !== want) continue;
      const creds = decodeEntry(entry, file, key);
      if (creds) return creds;
    }
  }
  return undefined;
}

function decodeEntry(entry: { auth?: string; username?: string; password?: string }, file: string, key: string): Credentials | undefined {
  if (entry.username !== undefined && entry.password !== undefined) return { username: entry.username, password: entry.password };
  if (!entry.auth) return undefined; // e.g. an entry kept for a credential helper
  const text = Buffer.from(entry.auth, "base64").toString("utf8");
  const colon = text.indexOf(":");
  if (colon < 0) throw new RrError(`invalid credentials for "${key}" in "${file}": "auth" is not base64 of user:password`);
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

function readAuthFile(file: string): AuthFile | undefined {
  let text: string;
  try { text = readFileSync(file, "utf8"); } catch { return undefined; }
  try {
    const doc = JSON.parse(text) as AuthFile;
    return typeof doc === "object" && doc !== null ? doc : undefined;
  } catch (err) {
    throw new RrError(`invalid credentials file "${file}": ${(err as Error).message}`);
  }
}

/** Saves credentials the way `docker login` does; the file is 0600 in a 0700 directory, written atomically. */
export function storeCredentials(registry: string, creds: Credentials, env: Env = process.env): string {
  const file = loginAuthFile(env);
  const doc = readAuthFile(file) ?? {};
  const auths = { ...(doc.auths ?? {}) };
  for (const key of Object.keys(auths)) if (normalizeAuthKey(key) === normalizeAuthKey(registry)) delete auths[key];
  auths[authKey(registry)] = { auth: Buffer.from(`${creds.username}:${creds.password}`).toString("base64") };
  writeAuthFile(file, { ...doc, auths });
  return file;
}

/** Removes a registry's credentials from the login file; false when there were none. */
export function removeCredentials(registry: string, env: Env = process.env): boolean {
  const file = loginAuthFile(env);
  const doc = readAuthFile(file);
  const auths = { ...(doc?.auths ?? {}) };
  const keys = Object.keys(auths).filter((k) => normalizeAuthKey(k) === normalizeAuthKey(registry));
  if (!keys.length) return false;
  for (const k of keys) delete auths[k];
  writeAuthFile(file, { ...doc, auths });
  return true;
}

function writeAuthFile(file: string, doc: AuthFile): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeJsonAtomic(file, doc, { mode: 0o600 });
  chmodSync(file, 0o600); // the umask may have narrowed it; never widen beyond 0600
}
