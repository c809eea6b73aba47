import { SyntaxProblem } from "./errors.ts";

/** Go's time units, as HEALTHCHECK durations are written (`30s`, `1m30s`, `500ms`). */
const UNITS: Record<string, number> = {
  ns: 1, us: 1e3, "µs": 1e3, "μs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9,
};
const TERM = /^(\d*)(?:\.(\d*))?([a-zµμ]+)/;

/** Parses a Go duration into nanoseconds; errors read like Go's. */
export function parseGoDuration(text: string): number {
  const bad = () => new SyntaxProblem(`time: invalid duration "${text}"`);
  let rest = text;
  let sign = 1;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    if (rest[0] === "-") sign = -1;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") throw bad();
  let total = 0;
  while (rest !== "") {
    const m = TERM.exec(rest);
    if (!m || (m[1] === "" && (m[2] ?? "") === "")) throw bad();
    const unit = UNITS[m[3]];
    if (unit === undefined) throw new SyntaxProblem(`time: unknown unit "${m[3]}" in duration "${text}"`);
    total += Number(`${m[1] || "0"}.${m[2] || "0"}`) * unit;
    rest = rest.slice(m[0].length);
  }
  return sign * Math.round(total);
}

/** Nanoseconds as Go prints a Duration (`1m30s`, `1.5s`, `500ms`). */
export function formatGoDuration(ns: number): string {
  if (ns === 0) return "0s";
  const sign = ns < 0 ? "-" : "";
  let n = Math.abs(ns);
  if (n < 1e3) return `${sign}${n}ns`;
  if (n < 1e6) return `${sign}${trim(n / 1e3)}µs`;
  if (n < 1e9) return `${sign}${trim(n / 1e6)}ms`;
  let out = "";
  const h = Math.floor(n / 3600e9);
  n -= h * 3600e9;
  const m = Math.floor(n / 60e9);
  n -= m * 60e9;
  if (h > 0) out += `${h}h`;
  if (h > 0 || m > 0) out += `${m}m`;
  return `${sign}${out}${trim(n / 1e9)}s`;
}

function trim(x: number): string {
  return String(Number(x.toFixed(9)));
}
