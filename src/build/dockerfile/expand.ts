import { SyntaxProblem } from "./errors.ts";

/** Variables in effect for one instruction: the ARG and ENV values the builder tracks. */
export type Env = ReadonlyMap<string, string> | Readonly<Record<string, string>>;

export interface LexOptions {
  /** The Dockerfile's escape character (`# escape=`); `\` by default. */
  escape?: string;
  /** Keep quote characters in the result (quoted text is still not expanded or split). */
  rawQuotes?: boolean;
  /** Keep escape characters in the result. */
  rawEscapes?: boolean;
  /** Quotes are ordinary characters (heredoc bodies: the quotes belong to the file). */
  skipQuotes?: boolean;
  /** Leave `$NAME` as written when NAME is not set (heredoc delimiters). */
  skipUnset?: boolean;
}

export interface LexResult {
  /** The expanded text, quotes and escapes removed, spaces kept. */
  text: string;
  /** The same split into words the way a shell would: only unquoted literal or substituted spaces split. */
  words: string[];
}

/**
 * Docker's variable substitution for ADD, COPY, ENV, EXPOSE, FROM, LABEL,
 * STOPSIGNAL, USER, VOLUME, WORKDIR and ARG: `$VAR`, `${VAR}`,
 * `${VAR:-word}`, `${VAR-word}`, `${VAR:+word}`, `${VAR+word}`,
 * `${VAR:?msg}`, `${VAR#pat}`, `${VAR%pat}` (and `##`, `%%`),
 * `${VAR/pat/repl}` (and `//`). Single quotes suppress it, double quotes
 * do not, the escape character makes the next character literal. An unset
 * variable is empty. Errors are SyntaxProblems (the caller adds the line).
 */
export function lex(input: string, env: Env, opts: LexOptions = {}): LexResult {
  const lexer = new Lexer(input, env, opts);
  try {
    return lexer.run(undefined, opts.rawEscapes ?? false);
  } catch (err) {
    if (err instanceof SyntaxProblem) throw new SyntaxProblem(`failed to process "${input}": ${err.message}`);
    throw err;
  }
}

/** One word with variables substituted, quotes and escapes removed. */
export function expandWord(word: string, env: Env, escape = "\\"): string {
  return lex(word, env, { escape }).text;
}

/** Like expandWord, then split into words where unquoted spaces are. */
export function expandWords(text: string, env: Env, escape = "\\"): string[] {
  return lex(text, env, { escape }).words;
}

/**
 * The body of an unquoted `COPY <<EOF` heredoc as BuildKit expands it:
 * variables are substituted, quotes are left alone, and `\` still escapes
 * the next character (write `\$` for a literal dollar). BuildKit uses `\`
 * here whatever the escape directive says.
 */
export function expandHeredoc(content: string, env: Env): string {
  return lex(content, env, { skipQuotes: true }).text;
}

/** Looks a variable up; a plain object is read through own properties only. */
export function lookupEnv(env: Env, name: string): string | undefined {
  if (env instanceof Map) return env.get(name);
  const rec = env as Readonly<Record<string, string>>;
  return Object.hasOwn(rec, name) ? rec[name] : undefined;
}

const SPECIAL_PARAMS = new Set(["@", "*", "#", "?", "-", "$", "!", "0"]);
const DIGIT = /^\p{Nd}$/u;
const NAME_CHAR = /^[\p{L}\p{Nd}_]$/u;
const SPACE = /^\s$/u;

class Lexer {
  private readonly chars: string[];
  private pos = 0;
  private readonly escape: string;
  private rawEscapes = false;

  constructor(input: string, private readonly env: Env, private readonly opts: LexOptions) {
    this.chars = Array.from(input);
    this.escape = opts.escape ?? "\\";
  }

  private peek(): string | undefined {
    return this.chars[this.pos];
  }

  private next(): string | undefined {
    return this.chars[this.pos++];
  }

  /** Reads until `stop` (consumed) or the end; `stop` missing is an error. */
  run(stop: string | undefined, rawEscapes: boolean): LexResult {
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      return this.runInner(stop);
    } finally {
      this.rawEscapes = saved;
    }
  }

  private runInner(stop: string | undefined): LexResult {
    let text = "";
    const words = new WordBuilder();
    while (this.pos < this.chars.length) {
      const ch = this.chars[this.pos];
      if (stop !== undefined && ch === stop) {
        this.pos++;
        return { text, words: words.finish() };
      }
      if (ch === "$") {
        const value = this.dollar();
        text += value;
        words.addExpanded(value);
        continue;
      }
      if (!this.opts.skipQuotes && (ch === "'" || ch === '"')) {
        const value = ch === "'" ? this.singleQuoted() : this.doubleQuoted();
        text += value;
        words.addRaw(value);
        continue;
      }
      this.pos++;
      if (ch === this.escape) {
        if (this.rawEscapes) {
          text += ch;
          words.addRaw(ch);
        }
        const escaped = this.next();
        if (escaped === undefined) break; // a lone escape at the end is dropped
        text += escaped;
        words.addRaw(escaped);
        continue;
      }
      text += ch;
      words.addChar(ch);
    }
    if (stop !== undefined) throw new SyntaxProblem(`unexpected end of statement while looking for matching ${stop}`);
    return { text, words: words.finish() };
  }

  private singleQuoted(): string {
    const raw = this.opts.rawQuotes ?? false;
    let out = raw ? "'" : "";
    this.pos++;
    for (;;) {
      const ch = this.next();
      if (ch === undefined) throw new SyntaxProblem("unexpected end of statement while looking for matching single-quote");
      if (ch === "'") return raw ? out + ch : out;
      out += ch;
    }
  }

  /** Inside double quotes only `$` is special, and the escape character only before `"`, `$` or itself. */
  private doubleQuoted(): string {
    const raw = this.opts.rawQuotes ?? false;
    let out = raw ? '"' : "";
    this.pos++;
    for (;;) {
      const ch = this.peek();
      if (ch === undefined) throw new SyntaxProblem("unexpected end of statement while looking for matching double-quote");
      if (ch === '"') {
        this.pos++;
        return raw ? out + ch : out;
      }
      if (ch === "$") {
        out += this.dollar();
        continue;
      }
      this.pos++;
      if (ch === this.escape) {
        const after = this.peek();
        if (after === undefined) continue;
        if (after === '"' || after === "$" || after === this.escape) {
          this.pos++;
          out += (this.rawEscapes ? ch : "") + after;
          continue;
        }
      }
      out += ch;
    }
  }

  private dollar(): string {
    this.pos++;
    if (this.peek() !== "{") {
      const name = this.name();
      if (name === "") return "$";
      const value = lookupEnv(this.env, name);
      if (value === undefined && this.opts.skipUnset) return `$${name}`;
      return value ?? "";
    }
    this.pos++;
    const first = this.peek();
    if (first === undefined) throw new SyntaxProblem("syntax error: missing '}'");
    if (first === "{" || first === "}" || first === ":") throw new SyntaxProblem("syntax error: bad substitution");
    const name = this.name();
    const op = this.next();
    if (op === undefined) throw new SyntaxProblem("syntax error: missing '}'");
    const value = lookupEnv(this.env, name);
    if (op === "}") {
      if (value === undefined && this.opts.skipUnset) return `\${${name}}`;
      return value ?? "";
    }
    if (op === "/") return this.replace(name, value);
    let mod = op;
    const colon = op === ":";
    if (colon) {
      const c = this.next();
      if (c === undefined) throw new SyntaxProblem("syntax error: missing '}'");
      mod = c;
    }
    if (!"+-?#%".includes(mod)) throw new SyntaxProblem(`unsupported modifier (${colon ? ":" : ""}${mod}) in substitution`);
    const word = this.operand("}", mod === "#" || mod === "%");
    if (value === undefined && this.opts.skipUnset) return `\${${name}${colon ? ":" : ""}${mod}${word}}`;
    const unset = value === undefined || (colon && value === "");
    switch (mod) {
      case "-":
        return unset ? word : value!;
      case "+":
        return unset ? "" : word;
      case "?":
        if (value === undefined) throw new SyntaxProblem(`${name}: ${word || "is not allowed to be unset"}`);
        if (colon && value === "") throw new SyntaxProblem(`${name}: ${word || "is not allowed to be empty"}`);
        return value;
      default: {
        const greedy = word.startsWith(mod);
        const pattern = greedy ? word.slice(1) : word;
        return mod === "#" ? trimPrefix(value ?? "", pattern, greedy) : trimSuffix(value ?? "", pattern, greedy);
      }
    }
  }

  /** `${name/pattern/replacement}` and `${name//pattern/replacement}`. */
  private replace(name: string, value: string | undefined): string {
    const all = this.peek() === "/";
    if (all) this.pos++;
    const pattern = this.operand("/", true, "syntax error: missing '/' in ${}");
    const replacement = this.operand("}", true);
    if (value === undefined && this.opts.skipUnset) return `\${${name}/${pattern}/${replacement}}`;
    const re = new RegExp(shellPatternSource(pattern), all ? "gu" : "u");
    return (value ?? "").replace(re, () => replacement);
  }

  private operand(stop: string, rawEscapes: boolean, eofMessage = "syntax error: missing '}'"): string {
    try {
      return this.run(stop, rawEscapes).text;
    } catch (err) {
      if (err instanceof SyntaxProblem && this.peek() === undefined) throw new SyntaxProblem(eofMessage);
      throw err;
    }
  }

  /** A variable name: letters, digits and `_`; or all digits; or one special parameter. */
  private name(): string {
    const first = this.peek();
    if (first === undefined) return "";
    if (DIGIT.test(first)) {
      let digits = "";
      while (this.peek() !== undefined && DIGIT.test(this.peek()!)) digits += this.next();
      return digits;
    }
    if (SPECIAL_PARAMS.has(first)) {
      this.pos++;
      return first;
    }
    let name = "";
    while (this.peek() !== undefined && NAME_CHAR.test(this.peek()!)) name += this.next();
    return name;
  }
}

/** Collects words: spaces split them unless they came from quotes or escapes. */
class WordBuilder {
  private readonly words: string[] = [];
  private word = "";
  private inWord = false;

  addChar(ch: string): void {
    if (!SPACE.test(ch)) {
      this.addRaw(ch);
    } else if (this.inWord && this.word !== "") {
      this.words.push(this.word);
      this.word = "";
      this.inWord = false;
    }
  }

  /** Substituted values are split on their spaces, as a shell would. */
  addExpanded(text: string): void {
    for (const ch of text) this.addChar(ch);
  }

  addRaw(text: string): void {
    this.word += text;
    this.inWord = true;
  }

  finish(): string[] {
    if (this.word !== "") this.words.push(this.word);
    this.word = "";
    this.inWord = false;
    return this.words;
  }
}

/** A shell pattern (`*`, `?`, `\x`) as RegExp source; `\}` and `\/` are there only to get past `${…}`. */
function shellPatternSource(pattern: string): string {
  const chars = Array.from(pattern);
  let out = "";
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    if (ch === "*") out += "[^]*";
    else if (ch === "?") out += "[^]";
    else if (ch === "\\") {
      const next = chars[i + 1];
      if (next === "}" || next === "/") continue;
      if (next !== "*" && next !== "?" && next !== "\\") throw new SyntaxProblem(`invalid pattern (${pattern}) in substitution: invalid escape '\\${next ?? ""}'`);
      out += "\\" + next;
      i++;
    } else out += ch.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return out;
}

function trimPrefix(value: string, pattern: string, greedy: boolean): string {
  const re = new RegExp(`^(?:${shellPatternSource(pattern)})$`, "u");
  const chars = Array.from(value);
  for (let k = 0; k <= chars.length; k++) {
    const n = greedy ? chars.length - k : k;
    if (re.test(chars.slice(0, n).join(""))) return chars.slice(n).join("");
  }
  return value;
}

function trimSuffix(value: string, pattern: string, greedy: boolean): string {
  const re = new RegExp(`^(?:${shellPatternSource(pattern)})$`, "u");
  const chars = Array.from(value);
  for (let k = 0; k <= chars.length; k++) {
    const start = greedy ? k : chars.length - k;
    if (re.test(chars.slice(start).join(""))) return chars.slice(0, start).join("");
  }
  return value;
}
