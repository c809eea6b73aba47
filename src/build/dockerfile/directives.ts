import { SyntaxProblem } from "./errors.ts";

/** The two escape characters Docker allows: `\` (default) and `` ` `` (for Windows paths). */
export type EscapeChar = "\\" | "`";

/** Parser directives from the top of a Dockerfile. */
export interface Directives {
  escape: EscapeChar;
  /** `# syntax=` is recorded but rr builds with its own frontend. */
  syntax?: string;
  check?: string;
}

const DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;
const KNOWN = new Set(["syntax", "escape", "check"]);

/**
 * Reads directives line by line. Docker stops looking at the first line that
 * is not a known directive — a blank line, any other comment (an unknown
 * directive counts as one), or an instruction — so a directive further down
 * is only a comment.
 */
export class DirectiveReader {
  readonly directives: Directives = { escape: "\\" };
  private done = false;
  private readonly seen = new Set<string>();

  /** Takes one physical line with its leading whitespace removed. */
  feed(line: string): void {
    if (this.done) return;
    const m = DIRECTIVE.exec(line);
    const key = m?.[1].toLowerCase();
    if (!m || !key || !KNOWN.has(key)) {
      this.done = true;
      return;
    }
    if (this.seen.has(key)) throw new SyntaxProblem(`only one ${key} parser directive can be used`);
    this.seen.add(key);
    const value = m[2];
    if (key === "escape") {
      if (value !== "\\" && value !== "`") throw new SyntaxProblem(`invalid escape token '${value}' does not match \` or \\`);
      this.directives.escape = value;
    } else if (key === "syntax") {
      this.directives.syntax = value;
    } else {
      this.directives.check = value;
    }
  }
}
