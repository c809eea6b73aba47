/**
 * Setting up the peers one by one: a tool that cannot run here (missing, or
 * its set-up fails) is shown as unavailable and the others go on.
 */
import { errorLine, type ResultRow } from "./report.ts";

/**
 * Calls each factory; what it makes goes into `made` (so the caller's
 * cleanup sees it), a failure becomes an unavailable row with its first line.
 */
export async function setUpEach<T>(factories: readonly (readonly [string, () => T | Promise<T>])[], made: T[]): Promise<ResultRow[]> {
  const unavailable: ResultRow[] = [];
  for (const [name, make] of factories) {
    try {
      made.push(await make());
    } catch (e) {
      unavailable.push({ name, unavailable: errorLine(e) });
    }
  }
  return unavailable;
}
