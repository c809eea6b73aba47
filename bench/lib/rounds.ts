/**
 * Interleaving: every peer runs once per round, in turn, so a load that
 * comes and goes on the machine falls on all of them alike.
 */
import { failureLine, largestPeakRssKb, summarize, type Sample } from "./measure.ts";
import type { ResultRow } from "./report.ts";

/** Odd rounds in the given order, even rounds reversed: neither always runs on a machine the other just loaded. */
export function alternating<T>(items: T[], round: number): T[] {
  return round % 2 ? items : [...items].reverse();
}

export interface Rounds<S extends Sample> {
  /** the timed runs per peer, warm-up not included */
  samples: Map<string, S[]>;
  /** peers that failed once (and were not run again), with why */
  failed: Map<string, string>;
}

/** `warmup` untimed rounds, then `rounds` timed ones; `run` runs one peer once. */
export function interleave<P extends { name: string }, S extends Sample>(
  peers: P[], rounds: number, run: (p: P, round: number) => S, warmup = 0,
): Rounds<S> {
  const samples = new Map<string, S[]>(peers.map((p) => [p.name, []]));
  const failed = new Map<string, string>();
  for (let round = 1 - warmup; round <= rounds; round++) {
    for (const p of peers) {
      if (failed.has(p.name)) continue;
      const s = run(p, round);
      if (s.exitCode !== 0) failed.set(p.name, `failed in ${round > 0 ? `round ${round}` : "warm-up"}: ${failureLine(s)}`);
      else if (round > 0) samples.get(p.name)!.push(s);
    }
  }
  return { samples, failed };
}

/** A results row per peer: its summary with the peak RSS of three more runs, or why it failed. */
export function resultRows(peers: { name: string; argv: string[] }[], r: Rounds<Sample>): ResultRow[] {
  return peers.map((p) => {
    const reason = r.failed.get(p.name);
    if (reason) return { name: p.name, unavailable: reason };
    return { name: p.name, summary: summarize(r.samples.get(p.name)!, largestPeakRssKb(p.argv)) };
  });
}
