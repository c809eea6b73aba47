/**
 * The part of Go's text/template that `docker … --format` users write:
 * `{{.Id}}`, `{{.Config.Cmd}}`, `{{json .Config}}`, `{{index .RepoTags 0}}`,
 * pipelines (`{{.Name | upper}}`), `(pipeline).Field`, `if`/`else`/`range`/
 * `with`, variables (`$` for the root, `{{$x := …}}`, `{{range $k, $v := …}}`),
 * `{{- -}}` trimming, and Docker's extra functions (json, join, split,
 * lower, upper, title, truncate, pad). Values print the way Go's %v does:
 * `[a b]`, `map[k:v]`, `<nil>`, `<no value>`.
 */
import { UsageError } from "../errors.ts";

/** `$x := pipeline` declares, `$x = pipeline` assigns; range may name two: `$k, $v :=`. */
interface Declaration {
  names: string[];
  assign: boolean;
}

type Node =
  | { kind: "text"; text: string }
  | { kind: "action"; pipe: Expr[][]; decl?: Declaration }
  | { kind: "if" | "with" | "range"; pipe: Expr[][]; decl?: Declaration; then: Node[]; else: Node[] };

type Expr =
  | { kind: "field"; variable?: string; path: string[] }
  | { kind: "literal"; value: unknown }
  | { kind: "ident"; name: string }
  | { kind: "sub"; pipe: Expr[][]; path: string[] };

/** Go's variable scopes: a control structure's body sees its parents' variables; `=` changes the nearest one. */
class Scope {
  private readonly vars = new Map<string, unknown>();
  constructor(private readonly parent?: Scope) {}
  child(): Scope {
    return new Scope(this);
  }
  declare(name: string, value: unknown): void {
    this.vars.set(name, value);
  }
  assign(name: string, value: unknown): void {
    for (let s: Scope | undefined = this; s; s = s.parent) if (s.vars.has(name)) return void s.vars.set(name, value);
    undefinedVariable(name);
  }
  get(name: string): unknown {
    for (let s: Scope | undefined = this; s; s = s.parent) if (s.vars.has(name)) return s.vars.get(name);
    undefinedVariable(name);
  }
}

function undefinedVariable(name: string): never {
  throw new UsageError(`template: undefined variable "${name}"`);
}

export type Template = (data: unknown) => string;

export function compileTemplate(source: string): Template {
  const nodes = parse(tokenizeTemplate(source), source);
  return (data) => {
    const scope = new Scope();
    scope.declare("$", data);
    return run(nodes, data, scope);
  };
}

/** Convenience: compile and run once. */
export function renderTemplate(source: string, data: unknown): string {
  return compileTemplate(source)(data);
}

function fail(why: string): never {
  throw new UsageError(`template parsing error: ${why}`);
}

/** Splits into text and `{{ }}` action bodies, applying `{{-` / `-}}` trimming. */
function tokenizeTemplate(src: string): ({ text: string } | { action: string })[] {
  const out: ({ text: string } | { action: string })[] = [];
  let i = 0;
  let trimNext = false;
  while (i < src.length) {
    const open = src.indexOf("{{", i);
    let text = src.slice(i, open < 0 ? src.length : open);
    if (trimNext) text = text.replace(/^\s+/, "");
    if (open < 0) { if (text) out.push({ text }); break; }
    const close = src.indexOf("}}", open + 2);
    if (close < 0) fail(`unclosed action in "${src}"`);
    let body = src.slice(open + 2, close);
    if (body.startsWith("- ") || body === "-") { text = text.replace(/\s+$/, ""); body = body.slice(1); }
    trimNext = body.endsWith(" -");
    if (trimNext) body = body.slice(0, -1);
    if (text) out.push({ text });
    out.push({ action: body.trim() });
    i = close + 2;
  }
  return out;
}

function parse(tokens: ReturnType<typeof tokenizeTemplate>, src: string): Node[] {
  let pos = 0;
  const block = (stopAt: string[]): { nodes: Node[]; stop: string; rest: string } => {
    const nodes: Node[] = [];
    while (pos < tokens.length) {
      const t = tokens[pos++]!;
      if ("text" in t) { nodes.push({ kind: "text", text: t.text }); continue; }
      const a = t.action;
      if (a.startsWith("/*")) continue;
      const word = /^(\w+)\b\s*(.*)$/s.exec(a);
      const kw = word?.[1];
      if (kw && stopAt.includes(kw)) return { nodes, stop: kw, rest: word![2]! };
      if (kw === "if" || kw === "with" || kw === "range") nodes.push(control(kw, word![2]!));
      else nodes.push({ kind: "action", ...declared(a, 1, src) });
    }
    if (stopAt.length) fail(`unexpected EOF in "${src}": missing {{end}}`);
    return { nodes, stop: "", rest: "" };
  };
  const control = (kind: "if" | "with" | "range", expr: string): Node => {
    const head = declared(expr, kind === "range" ? 2 : 1, src);
    const body = block(["else", "end"]);
    let elseNodes: Node[] = [];
    if (body.stop === "else") {
      if (body.rest.startsWith("if ") || body.rest === "if") {
        elseNodes = [control("if", body.rest.slice(2).trim())]; // `else if` closes with the outer {{end}}
      } else {
        elseNodes = block(["end"]).nodes;
      }
    }
    return { kind, ...head, then: body.nodes, else: elseNodes };
  };
  return block([]).nodes;
}

const DECLARATION = /^(\$\w*)\s*(?:,\s*(\$\w*)\s*)?(:=|=)\s*(.*)$/s;

/** A pipeline, with the variables it declares or assigns in front (`$k, $v := …` only where `most` is 2). */
function declared(src: string, most: number, whole: string): { pipe: Expr[][]; decl?: Declaration } {
  const m = DECLARATION.exec(src);
  if (!m) return { pipe: parsePipeline(src) };
  const names = [m[1]!, ...(m[2] ? [m[2]] : [])];
  if (names.length > most) fail(`too many declarations in "${whole}"`);
  if (m[3] === "=" && names.length > 1) fail(`too many variables to assign in "${whole}"`);
  return { pipe: parsePipeline(m[4]!), decl: { names, assign: m[3] === "=" } };
}

const FIELD_CHAIN = /^(\.[A-Za-z_][\w-]*)+$/;

function parsePipeline(src: string): Expr[][] {
  const toks = lex(src);
  let p = 0;
  const pipeline = (inParen: boolean): { cmds: Expr[][]; path: string[] } => {
    const cmds: Expr[][] = [[]];
    while (p < toks.length) {
      const t = toks[p++]!;
      if (t.startsWith(")")) {
        if (!inParen) fail(`unexpected ")" in "${src}"`);
        return { cmds, path: t.length > 1 ? t.slice(2).split(".") : [] };
      }
      if (t === "|") { if (!cmds[cmds.length - 1]!.length) fail(`missing command before "|" in "${src}"`); cmds.push([]); continue; }
      if (t === "(") {
        const sub = pipeline(true);
        cmds[cmds.length - 1]!.push({ kind: "sub", pipe: sub.cmds, path: sub.path });
      } else cmds[cmds.length - 1]!.push(operand(t, src));
    }
    if (inParen) fail(`unclosed "(" in "${src}"`);
    if (cmds.some((c) => c.length === 0)) fail(`empty command in "${src}"`);
    return { cmds, path: [] };
  };
  return pipeline(false).cmds;
}

/** `)` takes a field chain written right after it: `(index .X 0).Name`. */
function lex(src: string): string[] {
  const re = /\s*("(?:[^"\\]|\\.)*"|`[^`]*`|\)(?:\.[A-Za-z_][\w-]*)+|[()|]|[^\s()|]+)/gy;
  const out: string[] = [];
  let m: RegExpExecArray | null;
  while ((m = re.exec(src)) !== null) out.push(m[1]!);
  return out;
}

function operand(t: string, src: string): Expr {
  if (t.startsWith('"')) return { kind: "literal", value: JSON.parse(t) };
  if (t.startsWith("`")) return { kind: "literal", value: t.slice(1, -1) };
  if (/^-?\d+(\.\d+)?$/.test(t)) return { kind: "literal", value: Number(t) };
  if (t === "true" || t === "false") return { kind: "literal", value: t === "true" };
  if (t === "nil") return { kind: "literal", value: null };
  if (t === ".") return { kind: "field", path: [] };
  if (FIELD_CHAIN.test(t)) return { kind: "field", path: t.slice(1).split(".") };
  const variable = /^(\$\w*)((?:\.[A-Za-z_][\w-]*)*)$/.exec(t);
  if (variable) return { kind: "field", variable: variable[1]!, path: variable[2] ? variable[2].slice(1).split(".") : [] };
  if (/^[A-Za-z_]\w*$/.test(t)) {
    if (!(t in FUNCS)) fail(`function "${t}" not defined in "${src}"`);
    return { kind: "ident", name: t };
  }
  fail(`unexpected "${t}" in "${src}"`);
}

function run(nodes: Node[], dot: unknown, scope: Scope): string {
  let out = "";
  for (const n of nodes) {
    if (n.kind === "text") out += n.text;
    else if (n.kind === "action") {
      const v = evalPipe(n.pipe, dot, scope);
      if (!n.decl) out += show(v);
      else if (n.decl.assign) scope.assign(n.decl.names[0]!, v);
      else scope.declare(n.decl.names[0]!, v);
    } else {
      const v = evalPipe(n.pipe, dot, scope);
      const inner = scope.child();
      if (n.decl && n.kind !== "range") n.decl.assign ? inner.assign(n.decl.names[0]!, v) : inner.declare(n.decl.names[0]!, v);
      if (n.kind === "if") out += run(truthy(v) ? n.then : n.else, dot, inner);
      else if (n.kind === "with") out += truthy(v) ? run(n.then, v, inner) : run(n.else, dot, inner);
      else {
        const entries = rangeEntries(v);
        if (!entries.length) out += run(n.else, dot, inner);
        for (const [key, item] of entries) {
          const each = inner.child();
          const names = n.decl?.names ?? [];
          if (names.length === 1) each.declare(names[0]!, item);
          if (names.length === 2) { each.declare(names[0]!, key); each.declare(names[1]!, item); }
          out += run(n.then, item, each);
        }
      }
    }
  }
  return out;
}

/** What range walks: a list's index and element, a map's keys in order with their values. */
function rangeEntries(v: unknown): [unknown, unknown][] {
  if (Array.isArray(v)) return v.map((item, i) => [i, item]);
  if (v && typeof v === "object") return Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]);
  return [];
}

function evalPipe(pipe: Expr[][], dot: unknown, scope: Scope): unknown {
  let piped: unknown[] = [];
  for (const cmd of pipe) {
    const [head, ...args] = cmd;
    let value: unknown;
    if (head!.kind === "ident") {
      const argv = [...args.map((a) => evalExpr(a, dot, scope)), ...piped];
      value = FUNCS[head!.name]!(...argv);
    } else if (head!.kind === "field" && head!.path.length) {
      // a field may be a method (Docker's `{{.Label "k"}}`): call it with the arguments
      const method = walkPath(head!.variable === undefined ? dot : scope.get(head!.variable), head!.path);
      const argv = [...args.map((a) => evalExpr(a, dot, scope)), ...piped];
      value = typeof method === "function" ? callMethod(method, head!.path.at(-1)!, argv) : method;
      if (typeof method !== "function" && argv.length) fail("can't give arguments to a non-function");
    } else {
      if (args.length || piped.length) fail("can't give arguments to a non-function");
      value = evalExpr(head!, dot, scope);
    }
    piped = [value];
  }
  return piped[0];
}

function evalExpr(e: Expr, dot: unknown, scope: Scope): unknown {
  switch (e.kind) {
    case "literal": return e.value;
    case "ident": return FUNCS[e.name]!();
    case "sub": return called(walkPath(evalPipe(e.pipe, dot, scope), e.path), e.path);
    case "field": return called(walkPath(e.variable === undefined ? dot : scope.get(e.variable), e.path), e.path);
  }
}

function called(v: unknown, path: string[]): unknown {
  return typeof v === "function" ? callMethod(v, path.at(-1) ?? "", []) : v;
}

/** A listing's rows are Go structs: a field they lack is an error (a typo in --format fails loudly), not <no value>. */
const STRUCTS = new WeakSet<object>();
export function asStruct<T extends object>(row: T): T {
  STRUCTS.add(row);
  return row;
}

/** A field path's value from a start; a method it ends in comes back uncalled. */
function walkPath(start: unknown, path: string[]): unknown {
  let v = start;
  for (const [i, key] of path.entries()) {
    if (typeof v === "function") v = callMethod(v, path[i - 1]!, []);
    if (v === null || v === undefined || typeof v !== "object") return undefined;
    if (STRUCTS.has(v) && !(key in v)) {
      throw new UsageError(`template: can't evaluate field ${key}`, { hint: `The fields are ${Object.getOwnPropertyNames(v).sort().join(", ")}.` });
    }
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** Go checks a method's arity before calling it. */
function callMethod(fn: Function, name: string, args: unknown[]): unknown {
  if (fn.length !== args.length) throw new UsageError(`template: wrong number of args for ${name}: want ${fn.length} got ${args.length}`);
  return fn(...args);
}

function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v).length > 0;
  return true;
}

/** Go's %v. */
export function show(v: unknown): string {
  if (v === undefined) return "<no value>";
  if (v === null) return "<nil>";
  if (typeof v === "string") return v;
  if (Array.isArray(v)) return `[${v.map(show).join(" ")}]`;
  if (typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `map[${Object.keys(o).sort().map((k) => `${k}:${show(o[k])}`).join(" ")}]`;
  }
  return String(v);
}

function printf(format: unknown, ...args: unknown[]): string {
  let i = 0;
  return String(format).replace(/%([%svdqt])/g, (_, verb: string) => {
    if (verb === "%") return "%";
    const a = args[i++];
    if (verb === "q") return JSON.stringify(show(a));
    if (verb === "d") return String(Math.trunc(Number(a)));
    return show(a);
  });
}

const FUNCS: Record<string, (...args: unknown[]) => unknown> = {
  json: (v) => JSON.stringify(v === undefined ? null : v),
  join: (list, sep) => (Array.isArray(list) ? list.map(show).join(String(sep)) : show(list)),
  split: (s, sep) => String(s).split(String(sep)),
  lower: (s) => show(s).toLowerCase(),
  upper: (s) => show(s).toUpperCase(),
  title: (s) => show(s).replace(/\b\w/g, (c) => c.toUpperCase()),
  truncate: (s, n) => show(s).slice(0, Number(n)),
  pad: (s, l, r) => " ".repeat(Number(l)) + show(s) + " ".repeat(Number(r)),
  index: (v, ...keys) => keys.reduce<unknown>((acc, k) => {
    if (acc === null || acc === undefined) return undefined;
    if (Array.isArray(acc)) {
      const i = Number(k);
      if (!Number.isInteger(i) || i < 0 || i >= acc.length) throw new UsageError(`template: error calling index: index out of range: ${show(k)}`);
      return acc[i];
    }
    return (acc as Record<string, unknown>)[String(k)];
  }, v),
  len: (v) => (Array.isArray(v) || typeof v === "string" ? v.length : v && typeof v === "object" ? Object.keys(v).length : 0),
  printf: (f, ...a) => printf(f, ...a),
  print: (...a) => a.map(show).join(" "),
  println: (...a) => a.map(show).join(" ") + "\n",
  eq: (a, ...b) => b.some((x) => x === a),
  ne: (a, b) => a !== b,
  lt: (a, b) => (a as number) < (b as number),
  le: (a, b) => (a as number) <= (b as number),
  gt: (a, b) => (a as number) > (b as number),
  ge: (a, b) => (a as number) >= (b as number),
  not: (a) => !truthy(a),
  and: (...a) => a.find((x) => !truthy(x)) ?? a[a.length - 1],
  or: (...a) => a.find((x) => truthy(x)) ?? a[a.length - 1],
};
