import { DirectiveReader, type Directives, type EscapeChar } from "./directives.ts";
import { SyntaxProblem, located } from "./errors.ts";
import { chompTabs, type Heredoc, type HeredocMarker } from "./heredoc.ts";
import type { ParseWarning } from "./instructions.ts";

/** One instruction's text with continuations joined, and its heredoc bodies. */
export interface LogicalLine {
  text: string;
  line: number;
  endLine: number;
  heredocs: Heredoc[];
}

export interface LogicalLines {
  lines: LogicalLine[];
  directives: Directives;
  warnings: ParseWarning[];
}

/**
 * Cuts a Dockerfile into instructions the way Docker's parser does:
 * directives at the top; comment and blank lines skipped; a line ending in
 * the escape character continues on the next, and comment lines and empty
 * lines inside a continuation are skipped (the empty ones with a warning,
 * as Docker warns). `heredocsOf` says which heredocs an instruction opens;
 * their bodies follow the instruction's last line, one after the other.
 */
export function readLogicalLines(text: string, heredocsOf: (text: string) => HeredocMarker[]): LogicalLines {
  const physical = physicalLines(text);
  const reader = new DirectiveReader();
  const lines: LogicalLine[] = [];
  const warnings: ParseWarning[] = [];
  let i = 0;
  while (i < physical.length) {
    const line = i + 1;
    const first = trimNewline(physical[i]).trimStart();
    located({ line }, () => reader.feed(first));
    i++;
    const escape = reader.directives.escape;
    let [joined, more] = trimContinuation(first.startsWith("#") ? "" : first, escape);
    if (!more && joined === "") continue;
    let emptyContinuation = false;
    while (more && i < physical.length) {
      const next = trimNewline(physical[i++]);
      const trimmed = next.trimStart();
      if (trimmed.startsWith("#")) continue;
      if (trimmed === "") {
        emptyContinuation = true;
        continue;
      }
      let part: string;
      [part, more] = trimContinuation(next, escape);
      joined += part;
    }
    if (emptyContinuation) warnings.push({ line, message: `Empty continuation line found in: ${joined}` });
    const markers = located({ line, endLine: i }, () => heredocsOf(joined));
    const heredocs: Heredoc[] = [];
    for (const marker of markers) {
      const body = readHeredocBody(physical, i, marker);
      if (!body) {
        const keyword = joined.trim().split(/\s+/)[0].toUpperCase();
        throw new SyntaxProblem(`${keyword}: unterminated heredoc <<${marker.name} (no line "${marker.name}" before the end of the file)`, {
          line,
          endLine: physical.length,
        });
      }
      i = body.next;
      heredocs.push({ ...marker, content: marker.chomp ? chompTabs(body.content) : body.content });
    }
    lines.push({ text: joined, line, endLine: i, heredocs });
  }
  return { lines, directives: reader.directives, warnings };
}

function readHeredocBody(physical: string[], from: number, marker: HeredocMarker): { content: string; next: number } | undefined {
  let content = "";
  for (let i = from; i < physical.length; i++) {
    let candidate = trimNewline(physical[i]);
    if (marker.chomp) candidate = candidate.replace(/^\t+/, "");
    if (candidate === marker.name) return { content, next: i + 1 };
    content += physical[i] + "\n";
  }
  return undefined;
}

/** Lines without their `\n`; a UTF-8 byte-order mark at the start is dropped. */
function physicalLines(text: string): string[] {
  const lines = text.replace(/^\uFEFF/, "").split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

function trimNewline(line: string): string {
  return line.replace(/[\r\n]+$/, "");
}

/**
 * Removes a trailing escape character (and blanks after it). An escape
 * preceded by another escape is a literal one and does not continue the line.
 */
function trimContinuation(line: string, escape: EscapeChar): [string, boolean] {
  const body = line.replace(/[ \t]+$/, "");
  if (!body.endsWith(escape)) return [line, false];
  if (body.length === 1) return ["", true];
  if (body[body.length - 2] === escape) return [line, false];
  return [body.slice(0, -1), true];
}
