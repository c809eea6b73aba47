import { posix } from "node:path";
import { UsageError } from "../errors.ts";

/** One cleaned .dockerignore line. */
export interface IgnoreRule {
  /** Relative to the context root, cleaned: no leading `/` or `./`, no trailing `/`. */
  pattern: string;
  /** A `!` line: matching paths are put back. */
  exclusion: boolean;
  /** 1-based line in the file, when the rule came from one. */
  line?: number;
}

type MatchType = "exact" | "prefix" | "suffix" | "regexp";

interface Compiled extends IgnoreRule {
  type: MatchType;
  re?: RegExp;
}

/**
 * A .dockerignore with Docker's semantics (moby/patternmatcher): patterns
 * are Go globs relative to the context root (`*` and `?` stop at `/`,
 * `[a-z]` classes, `\` escapes), `**` spans any number of directories, a
 * pattern that matches a directory also matches everything below it, and
 * the last matching line wins, so `!` lines put paths back. Lines starting
 * with `#` are comments. The builder still sends Dockerfile and
 * .dockerignore whatever this says, as Docker does.
 */
export class DockerIgnore {
  private readonly compiled: Compiled[];

  private constructor(rules: readonly IgnoreRule[], file: string) {
    this.compiled = rules.map((rule) => compileRule(rule, file));
  }

  /** Reads the text of a .dockerignore; `file` names it in errors. */
  static parse(text: string, file = ".dockerignore"): DockerIgnore {
    const rules: IgnoreRule[] = [];
    text.replace(/^\uFEFF/, "").split("\n").forEach((raw, i) => {
      const rule = ruleFromLine(raw.replace(/\r$/, ""), i + 1);
      if (rule) rules.push(rule);
    });
    return new DockerIgnore(rules, file);
  }

  /** Patterns as they would be written one per line (no comments). */
  static fromPatterns(patterns: readonly string[]): DockerIgnore {
    const rules = patterns.flatMap((p) => ruleFromLine(p.startsWith("#") ? ` ${p}` : p) ?? []);
    return new DockerIgnore(rules, "exclude pattern");
  }

  get rules(): readonly IgnoreRule[] {
    return this.compiled.map(({ pattern, exclusion, line }) => ({ pattern, exclusion, line }));
  }

  /** True when some `!` line exists, so ignored directories may have kept contents. */
  get hasExceptions(): boolean {
    return this.compiled.some((r) => r.exclusion);
  }

  /**
   * Whether a path (relative to the context root, `/`-separated) is left
   * out. `isDir` is accepted for callers' convenience; Docker's rules do not
   * depend on it (a trailing `/` in a pattern is cleaned away).
   */
  isIgnored(relPath: string, isDir?: boolean): boolean {
    const path = cleanPath(relPath);
    if (path === ".") return false;
    const i = this.decisiveRule(path);
    return i >= 0 && !this.compiled[i].exclusion;
  }

  /**
   * Whether a walk may skip a directory without looking inside: it is
   * ignored and no later `!` line could put back anything below it. When in
   * doubt (a `**` or a negated class in the exception) the answer is no.
   */
  canSkipDir(relDir: string): boolean {
    const dir = cleanPath(relDir);
    if (dir === ".") return false;
    const decisive = this.decisiveRule(dir);
    if (decisive < 0 || this.compiled[decisive].exclusion) return false;
    // Rules that match the directory match everything below it too, so only
    // an exception after the decisive rule that reaches below can change things.
    for (let i = decisive + 1; i < this.compiled.length; i++) {
      if (this.compiled[i].exclusion && mayMatchBelow(this.compiled[i].pattern, dir)) return false;
    }
    return true;
  }

  /** Index of the last rule matching the path or one of its parents; -1 for none. */
  private decisiveRule(path: string): number {
    const parents: string[] = [];
    for (let i = path.indexOf("/"); i >= 0; i = path.indexOf("/", i + 1)) parents.push(path.slice(0, i));
    for (let i = this.compiled.length - 1; i >= 0; i--) {
      const rule = this.compiled[i];
      if (matches(rule, path) || parents.some((p) => matches(rule, p))) return i;
    }
    return -1;
  }
}

/** Docker's reading of one line: `#` in column 1 is a comment, blanks trimmed, `!` and the path cleaned. */
function ruleFromLine(raw: string, line?: number): IgnoreRule | undefined {
  if (raw.startsWith("#")) return undefined;
  let pattern = raw.trim();
  if (pattern === "") return undefined;
  const exclusion = pattern.startsWith("!");
  if (exclusion) pattern = pattern.slice(1).trim();
  if (pattern !== "") {
    pattern = cleanPattern(pattern);
    if (pattern.length > 1 && pattern.startsWith("/")) pattern = pattern.slice(1);
  }
  return { pattern, exclusion, line };
}

/** Go's filepath.Clean: `.` and `..` resolved, duplicate and trailing slashes dropped. */
function cleanPattern(p: string): string {
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith("/") ? n.slice(0, -1) : n;
}

function cleanPath(p: string): string {
  const n = cleanPattern(p).replace(/^\/+/, "");
  return n === "" ? "." : n;
}

function compileRule(rule: IgnoreRule, file: string): Compiled {
  const where = rule.line === undefined ? file : `${file}:${rule.line}`;
  if (rule.pattern === "") {
    throw new UsageError(`${where}: illegal exclusion pattern: "!"`, { hint: "A `!` line needs a pattern after the `!`." });
  }
  const compiled = validGlob(rule.pattern) ? compile(rule.pattern) : undefined;
  if (!compiled) throw new UsageError(`${where}: syntax error in pattern "${rule.pattern}"`);
  return { ...rule, ...compiled };
}

/**
 * The pattern as Docker matches it: plain text compares exactly, `foo/**`
 * as a prefix, `**` followed by plain text as a suffix, anything else as a
 * regular expression in which `*` and `?` do not cross `/` and `**` does.
 */
function compile(pattern: string): { type: MatchType; re?: RegExp } | undefined {
  const chars = Array.from(pattern);
  let src = "^";
  let type: MatchType = "exact";
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    const first = i === 0;
    if (ch === "*" && chars[i + 1] === "*") {
      i++;
      if (chars[i + 1] === "/") i++;
      if (i + 1 >= chars.length) {
        if (type === "exact") type = "prefix";
        else {
          src += ".*";
          type = "regexp";
        }
      } else {
        src += "(.*/)?";
        type = "regexp";
      }
      if (first) type = "suffix";
    } else if (ch === "*") {
      src += "[^/]*";
      type = "regexp";
    } else if (ch === "?") {
      src += "[^/]";
      type = "regexp";
    } else if (ch === "\\") {
      src += escapeRe(chars[++i]);
      type = "regexp";
    } else if (ch === "[" || ch === "]") {
      src += ch;
      type = "regexp";
    } else {
      // Docker escapes only these; `^` and `-` pass through so `[^0-9]` keeps its meaning.
      src += ".+()|{}$".includes(ch) ? `\\${ch}` : ch;
    }
  }
  if (type !== "regexp") return { type };
  try {
    return { type, re: new RegExp(`${src}$`) };
  } catch {
    return undefined;
  }
}

function escapeRe(ch: string): string {
  return /[.*+?^${}()|[\]\\]/.test(ch) ? `\\${ch}` : ch;
}

function matches(rule: Compiled, path: string): boolean {
  switch (rule.type) {
    case "exact":
      return path === rule.pattern;
    case "prefix":
      return path.startsWith(rule.pattern.slice(0, -2));
    case "suffix": {
      const suffix = rule.pattern.slice(2);
      return path.endsWith(suffix) || (suffix.startsWith("/") && path === suffix.slice(1));
    }
    case "regexp":
      return rule.re!.test(path);
  }
}

/** Could the pattern match some path strictly below `dir`? Errs towards yes. */
function mayMatchBelow(pattern: string, dir: string): boolean {
  if (/\[[!^]/.test(pattern)) return true; // a negated class may match "/"
  const segments = pattern.split("/");
  const dirs = dir.split("/");
  for (let j = 0; j < dirs.length; j++) {
    if (j >= segments.length) return false;
    if (segments[j].includes("**")) return true;
    const seg = validGlob(segments[j]) ? compile(segments[j]) : undefined;
    if (!seg) return true;
    if (!matches({ pattern: segments[j], exclusion: false, ...seg }, dirs[j])) return false;
  }
  return segments.length > dirs.length;
}

/** Go's filepath.Match syntax check: classes closed and non-empty, ranges whole, no trailing `\`. */
function validGlob(pattern: string): boolean {
  const c = Array.from(pattern);
  let i = 0;
  // One class member (`a`, `\]`); false when missing or at the end.
  const member = (): boolean => {
    if (i >= c.length || c[i] === "-" || c[i] === "]") return false;
    if (c[i] === "\\" && ++i >= c.length) return false;
    return ++i < c.length;
  };
  while (i < c.length) {
    const ch = c[i++];
    if (ch === "\\") {
      if (i++ >= c.length) return false;
    } else if (ch === "[") {
      if (c[i] === "^") i++;
      for (let ranges = 0; ; ranges++) {
        if (i < c.length && c[i] === "]" && ranges > 0) break;
        if (!member()) return false;
        if (c[i] === "-") {
          i++;
          if (!member()) return false;
        }
      }
      i++;
    }
  }
  return true;
}
