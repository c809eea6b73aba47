/**
 * The closest candidate to a mistyped word, for "did you mean" hints
 * (`FORM` → `FROM`), as BuildKit picks it: case does not count, fewer than
 * three edits, and the answer is written in the word's case.
 */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = 3;
  for (const c of candidates) {
    const d = distance(w, c.toLowerCase());
    if (d === 0) return undefined; // the word is valid; the problem is elsewhere
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  if (best === undefined) return undefined;
  if (word === word.toLowerCase()) return best.toLowerCase();
  if (word === word.toUpperCase()) return best.toUpperCase();
  return best;
}

/** Levenshtein distance. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}
