/**
 * How Docker cuts an instruction line into pieces before any instruction
 * looks at it: the keyword, the `--flags` right after it, and the rest.
 */

const SPACE = /^\s$/u;
const BLANKS = /[\t\v\f\r ]+/;

export interface SplitCommand {
  /** The keyword as written (case kept). */
  keyword: string;
  /** `--name=value` words with quotes and `\` escapes removed. */
  flags: string[];
  /** Everything after the flags, trimmed. */
  rest: string;
}

export function splitCommand(line: string): SplitCommand {
  const trimmed = line.trim();
  const m = BLANKS.exec(trimmed);
  if (!m) return { keyword: trimmed, flags: [], rest: "" };
  const { flags, rest } = extractFlags(trimmed.slice(m.index + m[0].length));
  return { keyword: trimmed.slice(0, m.index), flags, rest: rest.trim() };
}

/**
 * Takes leading words that start with `--`; a bare `--` ends them. Flags
 * always use `\` for escapes, whatever the escape directive says (Docker's
 * own quirk). A quote left open runs to the end of the line.
 */
export function extractFlags(line: string): { flags: string[]; rest: string } {
  const flags: string[] = [];
  let pos = 0;
  for (;;) {
    while (pos < line.length && SPACE.test(line[pos])) pos++;
    if (pos >= line.length) return { flags, rest: "" };
    if (!line.startsWith("--", pos)) return { flags, rest: line.slice(pos) };
    let word = "";
    let quote = "";
    let quoted = false;
    for (; pos < line.length; pos++) {
      let ch = line[pos];
      if (!quote && SPACE.test(ch)) break;
      if (quote && ch === quote) {
        quote = "";
        continue;
      }
      if (!quote && (ch === "'" || ch === '"')) {
        quote = ch;
        quoted = true;
        continue;
      }
      if (ch === "\\") {
        if (pos + 1 === line.length) continue;
        ch = line[++pos];
      }
      word += ch;
    }
    if (word === "--") return { flags, rest: line.slice(pos) };
    if (word !== "" || quoted) flags.push(word);
  }
}

/**
 * Splits on unquoted whitespace keeping quotes and escapes in the words,
 * for ENV, LABEL and ARG: the later substitution step removes them.
 */
export function parseWords(rest: string, escape: string): string[] {
  const chars = Array.from(rest);
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote = "";
  let blankOK = false; // "" is a word of its own
  for (let i = 0; i < chars.length; i++) {
    let ch = chars[i];
    if (quote) {
      if (ch === quote) quote = "";
      else if (ch === escape && quote !== "'") {
        if (i + 1 === chars.length) {
          quote = "";
          continue;
        }
        word += ch;
        ch = chars[++i];
      }
      word += ch;
      continue;
    }
    if (SPACE.test(ch)) {
      if (inWord && (blankOK || word !== "")) words.push(word);
      word = "";
      inWord = false;
      blankOK = false;
      continue;
    }
    inWord = true;
    if (ch === "'" || ch === '"') {
      quote = ch;
      blankOK = true;
    } else if (ch === escape) {
      if (i + 1 === chars.length) continue;
      word += ch;
      ch = chars[++i];
    }
    word += ch;
  }
  if (inWord && (blankOK || word !== "")) words.push(word);
  return words;
}

/** Splits on runs of blanks, for the instructions Docker reads as plain word lists. */
export function splitBlanks(rest: string): string[] {
  return rest === "" ? [] : rest.split(BLANKS).filter((w) => w !== "");
}

/** Splits off the first blank-separated word (legacy `ENV key value with spaces`). */
export function splitFirst(rest: string): [string, string | undefined] {
  const m = BLANKS.exec(rest);
  return m ? [rest.slice(0, m.index), rest.slice(m.index + m[0].length)] : [rest, undefined];
}
