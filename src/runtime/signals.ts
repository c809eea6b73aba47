/** Signal names as Docker accepts them: "SIGTERM", "TERM", "term" or "15". */
import { constants } from "node:os";
import { UsageError } from "../errors.ts";

const BY_NAME = constants.signals as Record<string, number>;

export function signalNumber(text: string): number {
  if (/^[0-9]+$/.test(text)) {
    const n = Number(text);
    if (n >= 1 && n <= 64) return n;
  } else {
    const up = text.toUpperCase();
    const n = BY_NAME[up.startsWith("SIG") ? up : `SIG${up}`];
    if (n !== undefined) return n;
  }
  throw new UsageError(`invalid signal: ${text}`, { hint: "Use a name like SIGTERM, TERM or KILL, or a number." });
}
