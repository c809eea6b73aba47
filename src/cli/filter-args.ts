/**
 * Docker's `--filter key=value` arguments: parsing, and the matching rules
 * its daemon applies (filters.Args): several values of one key are ORed,
 * different keys ANDed, except `label`, where every value must hold.
 */
import { UsageError } from "../errors.ts";

export type Filters = Map<string, string[]>;

/** `key=value` flags → key → values; keys are lower-cased, unknown ones refused. */
export function parseFilters(values: string[], accepted: readonly string[]): Filters {
  const filters: Filters = new Map();
  for (const arg of values) {
    const eq = arg.indexOf("=");
    if (eq <= 0) {
      throw new UsageError(`invalid argument "${arg}" for "-f, --filter" flag: bad format of filter (expected name=value)`);
    }
    const key = arg.slice(0, eq).trim().toLowerCase();
    const value = arg.slice(eq + 1).trim();
    // prune's negated `label!=x` arrives as the key "label!"
    if (!accepted.includes(key)) throw new UsageError(`invalid filter '${key}'`, { hint: `Valid filters: ${accepted.join(", ")}.` });
    filters.set(key, [...(filters.get(key) ?? []), value]);
  }
  return filters;
}

const regexCache = new Map<string, RegExp | null>();

/** filters.Match: exact, else an unanchored regular expression (an invalid one never matches). */
export function matchesAny(values: string[], source: string): boolean {
  for (const v of values) {
    if (v === source) return true;
    let re = regexCache.get(v);
    if (re === undefined) {
      try { re = new RegExp(v); } catch { re = null; }
      regexCache.set(v, re);
    }
    if (re?.test(source)) return true;
  }
  return false;
}

/** filters.MatchKVList: every `key` or `key=value` must be among the labels. */
export function matchesAllLabels(values: string[], labels: Record<string, string>): boolean {
  return values.every((v) => {
    const eq = v.indexOf("=");
    const key = eq < 0 ? v : v.slice(0, eq);
    if (!Object.hasOwn(labels, key)) return false;
    return eq < 0 || labels[key] === v.slice(eq + 1);
  });
}

/**
 * A Docker timestamp filter value (`until=`, `since=` of prune) as epoch ms:
 * a Go duration before now ("10m", "1h30m"), Unix seconds ("1700000000" or
 * with a fraction), or an RFC 3339 / ISO date.
 */
export function parseTimestamp(value: string, now = Date.now()): number {
  if (/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(value)) {
    const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
    let ms = 0;
    for (const m of value.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * unit[m[2]!]!;
    return now - ms;
  }
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const t = Date.parse(value);
  if (Number.isFinite(t)) return t;
  throw new UsageError(`invalid timestamp "${value}": use a duration (10m, 2h), Unix seconds or a date (2024-01-31T12:00:00Z)`);
}
