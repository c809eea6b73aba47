import { lex } from "./expand.ts";

/** What a `<<EOF` word says, before its body is read. */
export interface HeredocMarker {
  /** The delimiter with quotes removed; for COPY/ADD also the file's name. */
  name: string;
  /** False when any part of the delimiter was quoted (`<<"EOF"`, `<<'EOF'`): the body is taken literally. */
  expand: boolean;
  /** `<<-EOF`: leading tabs are stripped from the body and the closing line. */
  chomp: boolean;
  /** `3<<EOF`: the file descriptor the shell would read it on. */
  fd?: number;
}

export interface Heredoc extends HeredocMarker {
  /** The body, each line ending in `\n`, leading tabs already stripped when `chomp`. */
  content: string;
}

const HEREDOC_WORD = /^(\d*)<<(-?)\s*([^<]*)$/;
const BARE_OPERATOR = /^\d*<<-?$/;

/**
 * Reads one word as a heredoc marker, or undefined when it is not one.
 * A quote that is not closed (`<<'EOF`) is an error, as in Docker.
 */
export function parseHeredocWord(word: string): HeredocMarker | undefined {
  const m = HEREDOC_WORD.exec(word);
  if (!m || m[3] === "") return undefined;
  const noEnv = {};
  const plain = lex(m[3], noEnv, { skipUnset: true });
  if (plain.words.length !== 1) return undefined;
  const raw = lex(m[3], noEnv, { skipUnset: true, rawQuotes: true });
  // Quotes that lexing removed mean part of the delimiter was quoted.
  const quotes = (s: string) => s.split(/['"]/).length - 1;
  const marker: HeredocMarker = {
    name: plain.words[0],
    expand: quotes(plain.words[0]) === quotes(raw.words[0] ?? ""),
    chomp: m[2] === "-",
  };
  if (m[1] !== "") marker.fd = Number(m[1]);
  return marker;
}

/**
 * The heredocs an instruction line opens, in order. Words are split the way
 * a shell would, so `"<<EOF"` in quotes opens nothing; `<< EOF` with a space
 * counts, as in BuildKit since v0.22.
 */
export function heredocMarkers(line: string): HeredocMarker[] {
  let words: string[];
  try {
    words = lex(line, {}, { rawQuotes: true, rawEscapes: true, skipUnset: true }).words;
  } catch {
    return []; // Docker ignores lines it cannot split here; the instruction itself reports them
  }
  const markers: HeredocMarker[] = [];
  for (let i = 0; i < words.length; i++) {
    let word = words[i];
    if (BARE_OPERATOR.test(word) && i + 1 < words.length) word += words[++i];
    const marker = parseHeredocWord(word);
    if (marker) markers.push(marker);
  }
  return markers;
}

/** Strips leading tabs from every line, as `<<-` asks. */
export function chompTabs(content: string): string {
  return content.replace(/^\t+/gm, "");
}

/**
 * How to run a shell-form RUN that has heredocs, as BuildKit does: when the
 * command is nothing but one `<<EOF`, the body is a script file for the
 * shell to run (so a `#!` line picks the interpreter); otherwise the bodies
 * are put back under the command and the shell reads them as heredocs.
 */
export type RunScript = { kind: "file"; heredoc: Heredoc } | { kind: "shell"; script: string };

export function runScript(command: string, heredocs: readonly Heredoc[]): RunScript {
  if (heredocs.length === 1 && parseHeredocWord(command.trim())) return { kind: "file", heredoc: heredocs[0] };
  let script = command;
  for (const doc of heredocs) script += `\n${doc.content}${doc.name}`;
  return { kind: "shell", script };
}
