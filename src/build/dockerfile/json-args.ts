import { SyntaxProblem } from "./errors.ts";

/**
 * The exec form: a JSON array of strings. Undefined means "not JSON, use the
 * shell form", as Docker falls back silently. Go's decoder stops after the
 * first value, so Docker ignores text after the closing `]`; so does this.
 */
export function parseJsonArgs(rest: string): string[] | undefined {
  const text = rest.trimStart();
  if (!text.startsWith("[")) return undefined;
  const end = endOfArray(text);
  if (end < 0) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text.slice(0, end));
  } catch {
    return undefined;
  }
  if (!Array.isArray(value)) return undefined;
  if (!value.every((v) => typeof v === "string")) {
    throw new SyntaxProblem("when using JSON array syntax, arrays must be comprised of strings only");
  }
  return value as string[];
}

/** Index just past the `]` that closes the array at 0, or -1. */
function endOfArray(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === "[" || ch === "{") depth++;
    else if (ch === "]" || ch === "}") {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}
