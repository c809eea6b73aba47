/** Prints an error the way every rr command does: `rr: ` + cause chain, then the hint. */
import { describeError, RrError } from "../errors.ts";

export function report(err: unknown): void {
  const { message, hint } = describeError(err);
  process.stderr.write(`rr: ${message}\n`);
  if (hint) process.stderr.write(`${hint}\n`);
  if (!(err instanceof RrError) && process.env.RR_DEBUG && err instanceof Error) {
    process.stderr.write(`${err.stack}\n`);
  }
}
