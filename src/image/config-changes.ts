/**
 * `rr commit -c` (and `rr import -c` one day): Dockerfile instructions
 * applied to an image config, as Docker applies them to a commit: CMD,
 * ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME,
 * WORKDIR. JSON and shell forms as in a Dockerfile; variables are not
 * expanded.
 */
import { UsageError } from "../errors.ts";
import type { ContainerConfig } from "./image-config.ts";

const VALID = ["CMD", "ENTRYPOINT", "ENV", "EXPOSE", "LABEL", "ONBUILD", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"];

/** Parses every change first, so a bad one fails before any work is done. */
export function parseConfigChanges(changes: string[]): { keyword: string; rest: string }[] {
  const out: { keyword: string; rest: string }[] = [];
  for (const change of changes) {
    for (const line of change.split("\n")) {
      const text = line.trim();
      if (!text || text.startsWith("#")) continue;
      const m = /^(\S+)\s*([\s\S]*)$/.exec(text)!;
      const keyword = m[1]!.toUpperCase();
      if (!VALID.includes(keyword)) {
        throw new UsageError(`${m[1]!.toLowerCase()} is not a valid change command`, { hint: `--change takes ${VALID.join(", ")}.` });
      }
      const rest = m[2]!.trim();
      if (!rest) throw new UsageError(`${keyword} requires at least one argument`);
      out.push({ keyword, rest });
      check(keyword, rest);
    }
  }
  return out;
}

function check(keyword: string, rest: string): void {
  if (keyword === "ENV" || keyword === "LABEL") pairs(keyword, rest);
  if (keyword === "EXPOSE") for (const p of words(rest)) exposedPorts(p);
}

/** A copy of `config` with the changes applied in order. */
export function applyConfigChanges(config: ContainerConfig, changes: { keyword: string; rest: string }[]): ContainerConfig {
  const c: ContainerConfig = structuredClone(config);
  let cmdSet = false;
  for (const { keyword, rest } of changes) {
    switch (keyword) {
      case "CMD":
        c.Cmd = commandForm(rest);
        cmdSet = true;
        break;
      case "ENTRYPOINT":
        c.Entrypoint = commandForm(rest);
        if (!cmdSet) delete c.Cmd; // as in a Dockerfile: a new ENTRYPOINT drops the CMD it inherited
        break;
      case "ENV":
        for (const [k, v] of pairs(keyword, rest)) {
          const env = (c.Env ?? []).filter((e) => e.split("=")[0] !== k);
          c.Env = [...env, `${k}=${v}`];
        }
        break;
      case "LABEL":
        c.Labels = { ...c.Labels, ...Object.fromEntries(pairs(keyword, rest)) };
        break;
      case "EXPOSE":
        c.ExposedPorts = { ...c.ExposedPorts };
        for (const w of words(rest)) for (const p of exposedPorts(w)) c.ExposedPorts[p] = {};
        break;
      case "VOLUME":
        c.Volumes = { ...c.Volumes };
        for (const v of jsonArray(rest) ?? words(rest)) c.Volumes[v] = {};
        break;
      case "USER": c.User = rest; break;
      case "STOPSIGNAL": c.StopSignal = rest; break;
      case "ONBUILD": c.OnBuild = [...(c.OnBuild ?? []), rest]; break;
      case "WORKDIR":
        c.WorkingDir = rest.startsWith("/") ? normalize(rest) : normalize(`${c.WorkingDir || "/"}/${rest}`);
        break;
    }
  }
  return c;
}

function jsonArray(rest: string): string[] | undefined {
  if (!rest.startsWith("[")) return undefined;
  try {
    const v = JSON.parse(rest) as unknown;
    if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v as string[];
  } catch {}
  return undefined;
}

/** `["a","b"]`, or the shell form run by /bin/sh -c. */
function commandForm(rest: string): string[] {
  return jsonArray(rest) ?? ["/bin/sh", "-c", rest];
}

/** Words split on blanks, with "double" and 'single' quotes and backslash escapes. */
function words(text: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quote: string | undefined;
  let any = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === "\\" && quote === '"' && i + 1 < text.length) cur += text[++i];
      else cur += ch;
    } else if (ch === '"' || ch === "'") { quote = ch; any = true; }
    else if (ch === "\\" && i + 1 < text.length) { cur += text[++i]; any = true; }
    else if (/\s/.test(ch)) { if (cur || any) out.push(cur); cur = ""; any = false; }
    else { cur += ch; any = true; }
  }
  if (quote) throw new UsageError(`unterminated quote in ${JSON.stringify(text)}`);
  if (cur || any) out.push(cur);
  return out;
}

/** `K=V K2="v 2"`, or the old form `K value with blanks`. */
function pairs(keyword: string, rest: string): [string, string][] {
  const first = rest.split(/\s+/)[0]!;
  if (!first.includes("=")) {
    const m = /^(\S+)\s+([\s\S]+)$/.exec(rest);
    if (!m) throw new UsageError(`${keyword} ${rest}: needs KEY=VALUE`);
    return [[m[1]!, words(m[2]!).join(" ")]];
  }
  return words(rest).map((w) => {
    const eq = w.indexOf("=");
    if (eq <= 0) throw new UsageError(`${keyword} ${rest}: "${w}" is not KEY=VALUE`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}

/** `80`, `53/udp`, `8000-8002/tcp` as ExposedPorts keys. */
function exposedPorts(spec: string): string[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(spec);
  if (!m) throw new UsageError(`invalid port "${spec}" in EXPOSE`);
  const from = Number(m[1]), to = m[2] ? Number(m[2]) : from;
  if (from < 1 || to > 65535 || to < from) throw new UsageError(`invalid port "${spec}" in EXPOSE`);
  const proto = (m[3] ?? "tcp").toLowerCase();
  return Array.from({ length: to - from + 1 }, (_, i) => `${from + i}/${proto}`);
}

function normalize(path: string): string {
  const out: string[] = [];
  for (const p of path.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === "..") out.pop();
    else out.push(p);
  }
  return "/" + out.join("/");
}
