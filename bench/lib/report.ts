/** Plain-text tables and ratios for benchmark output. */
import { withoutWrapper } from "./as-user.ts";
import type { Summary } from "./measure.ts";

export interface ResultRow {
  name: string;
  summary?: Summary;
  /** Set when the peer could not run here: one line, why. */
  unavailable?: string;
}

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export const ms = (v: number) => v.toFixed(1);

/** "0.8×": how long `peer` takes per run of `base` (below 1 means the peer is faster). */
export function ratio(peer: number, base: number): string {
  const r = peer / base;
  return `${r < 10 ? r.toFixed(2) : r.toFixed(1)}×`;
}

/** The results table; ratios are each row's median over `base`'s median. */
export function resultsTable(rows: ResultRow[], base: string): string {
  const baseMedian = rows.find((r) => r.name === base)?.summary?.medianMs;
  const body = rows.map((r) => {
    if (!r.summary) return [r.name, "-", "-", "-", "-", "-", `unavailable: ${r.unavailable ?? "?"}`];
    const s = r.summary;
    const vs = baseMedian && r.name !== base ? `${r.name}/${base} ${ratio(s.medianMs, baseMedian)}` : "";
    return [r.name, String(s.runs), ms(s.medianMs), ms(s.p90Ms), ms(s.medianCpuMs), s.peakRssKb === undefined ? "?" : String(s.peakRssKb), vs];
  });
  return table(["tool", "runs", "median ms", "p90 ms", "cpu ms", "peak RSS KB", "ratio"], body);
}

/** The median of the row named `name`, if it ran. */
export function medianOf(rows: ResultRow[], name: string): number | undefined {
  return rows.find((r) => r.name === name)?.summary?.medianMs;
}

export const passOrMiss = (ok: boolean) => (ok ? "PASS" : "MISS");

/** The first line of an error's message: one line per tool that could not run. */
export const errorLine = (e: unknown) => (e as Error).message.split("\n")[0]!;

/** Prints "NAME: COMMAND" per measured command, without the user wrapper, and its note below it. */
export function printCommands(items: { name: string; argv: string[]; note?: string }[]): void {
  for (const p of items) console.log(`${p.name}: ${withoutWrapper(p.argv)}${p.note ? `\n  (${p.note})` : ""}`);
}
