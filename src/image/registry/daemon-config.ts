/**
 * Registry settings in Docker's `daemon.json` shape: `/etc/rr/daemon.json`,
 * then the user's `$XDG_CONFIG_HOME/rr/daemon.json`, whose lists extend the
 * system's (a user cannot take a system mirror away, only add). Tests point
 * `RR_CONFIG_DIR` at a temporary directory instead of the user's.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { RrError } from "../../errors.ts";

export interface RegistryConfig {
  /** Mirrors of docker.io, tried in order before the origin. */
  registryMirrors: string[];
  /** Hosts (`host[:port]`) or CIDRs reached over plain HTTP. */
  insecureRegistries: string[];
}

type Env = Record<string, string | undefined>;

/** The user's rr configuration directory. */
export function userConfigDir(env: Env = process.env): string {
  if (env.RR_CONFIG_DIR) return env.RR_CONFIG_DIR;
  const home = env.HOME ?? "/";
  return join(env.XDG_CONFIG_HOME || join(home, ".config"), "rr");
}

export function daemonConfigFiles(env: Env = process.env): string[] {
  // RR_CONFIG_DIR replaces both files so that tests never see the machine's settings.
  if (env.RR_CONFIG_DIR) return [join(env.RR_CONFIG_DIR, "daemon.json")];
  return ["/etc/rr/daemon.json", join(userConfigDir(env), "daemon.json")];
}

export function loadRegistryConfig(env: Env = process.env): RegistryConfig {
  const config: RegistryConfig = { registryMirrors: [], insecureRegistries: [] };
  for (const file of daemonConfigFiles(env)) {
    let text: string;
    try { text = readFileSync(file, "utf8"); } catch { continue; }
    const parsed = parseDaemonConfig(text, file);
    for (const m of parsed.registryMirrors) if (!config.registryMirrors.includes(m)) config.registryMirrors.push(m);
    for (const h of parsed.insecureRegistries) if (!config.insecureRegistries.includes(h)) config.insecureRegistries.push(h);
  }
  return config;
}

export function parseDaemonConfig(text: string, file = "daemon.json"): RegistryConfig {
  let doc: unknown;
  try { doc = JSON.parse(text); } catch (err) {
    throw new RrError(`invalid "${file}": ${(err as Error).message}`);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new RrError(`invalid "${file}": not a JSON object`);
  const d = doc as Record<string, unknown>;
  const strings = (key: string): string[] => {
    const v = d[key];
    if (v === undefined) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) throw new RrError(`invalid "${file}": "${key}" must be a list of strings`);
    return v as string[];
  };
  const registryMirrors = strings("registry-mirrors").map((m) => normalizeMirror(m, file));
  return { registryMirrors, insecureRegistries: strings("insecure-registries") };
}

/** Docker accepts only `http(s)://host[:port][/path]`; trailing slashes are dropped. */
function normalizeMirror(m: string, file: string): string {
  let u: URL;
  try { u = new URL(m); } catch {
    throw new RrError(`invalid "${file}": registry mirror "${m}" is not a URL`, { hint: 'Write mirrors as "https://host[:port]".' });
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw new RrError(`invalid "${file}": registry mirror "${m}" must use http or https`);
  }
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, "")}`;
}

/** True for 127.0.0.0/8, ::1 and localhost, with or without a port. */
export function isLoopbackHost(hostPort: string): boolean {
  const host = stripPort(hostPort);
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function stripPort(hostPort: string): string {
  if (hostPort.startsWith("[")) return hostPort.slice(1, hostPort.indexOf("]"));
  const colon = hostPort.lastIndexOf(":");
  return colon >= 0 && hostPort.indexOf(":") === colon ? hostPort.slice(0, colon) : hostPort;
}

/** Whether a registry is spoken to over plain HTTP: loopback, or listed as insecure (host or IPv4 CIDR). */
export function isInsecure(hostPort: string, config: RegistryConfig): boolean {
  if (isLoopbackHost(hostPort)) return true;
  const host = stripPort(hostPort);
  return config.insecureRegistries.some((entry) => entry === hostPort || entry === host || inCidr(host, entry));
}

function inCidr(host: string, cidr: string): boolean {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(cidr);
  const ip = ipv4(host);
  if (!m || ip === undefined) return false;
  const net = ipv4(m[1]!);
  const bits = Number(m[2]);
  if (net === undefined || bits > 32) return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return ((ip & mask) >>> 0) === ((net & mask) >>> 0);
}

function ipv4(s: string): number | undefined {
  const parts = s.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((n, p) => ((n << 8) | Number(p)) >>> 0, 0);
}
