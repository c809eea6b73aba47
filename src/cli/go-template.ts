/**
 * The part of Go's text/template that `docker … --format` users write:
 * `{{.Id}}`, `{{.Config.Cmd}}`, `{{json .Config}}`, `{{index .RepoTags 0}}`,
 * pipelines (`{{.Name | upper}}`), `if`/`else`/`range`/`with`, `$` for the
 * root, `{{- -}}` trimming, and Docker's extra functions (json, join, split,
 * lower, upper, title, truncate, pad). Values print the way Go's %v does:
 * `[a b]`, `map[k:v]`, `<nil>`, `<no value>`.
 */
import { UsageError } from "../errors.ts";

type Node =
  | { kind: "text"; text: string }
  | { kind: "action"; pipe: Expr[][] }
  | { kind: "if" | "with" | "range"; pipe: Expr[][]; then: Node[]; else: Node[] };

type Expr =
  | { kind: "field"; root: "dot" | "dollar"; path: string[] }
  | { kind: "literal"; value: unknown }
  | { kind: "ident"; name: string }
  | { kind: "sub"; pipe: Expr[][] };

export type Template = (data: unknown) => string;

export function compileTemplate(source: string): Template {
  const nodes = parse(tokenizeTemplate(source), source);
  return (data) => run(nodes, data, data);
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
      else nodes.push({ kind: "action", pipe: parsePipeline(a) });
    }
    if (stopAt.length) fail(`unexpected EOF in "${src}": missing {{end}}`);
    return { nodes, stop: "", rest: "" };
  };
  const control = (kind: "if" | "with" | "range", expr: string): Node => {
    const pipe = parsePipeline(expr);
    const body = block(["else", "end"]);
    let elseNodes: Node[] = [];
    if (body.stop === "else") {
      if (body.rest.startsWith("if ") || body.rest === "if") {
        elseNodes = [control("if", body.rest.slice(2).trim())]; // `else if` closes with the outer {{end}}
      } else {
        elseNodes = block(["end"]).nodes;
      }
    }
    return { kind, pipe, then: body.nodes, else: elseNodes };
  };
  return block([]).nodes;
}

function parsePipeline(src: string): Expr[][] {
  const toks = lex(src);
  let p = 0;
  const pipeline = (inParen: boolean): Expr[][] => {
    const cmds: Expr[][] = [[]];
    while (p < toks.length) {
      const t = toks[p++]!;
      if (t === ")") { if (inParen) return cmds; fail(`unexpected ")" in "${src}"`); }
      if (t === "|") { if (!cmds[cmds.length - 1]!.length) fail(`missing command before "|" in "${src}"`); cmds.push([]); continue; }
      cmds[cmds.length - 1]!.push(t === "(" ? { kind: "sub", pipe: pipeline(true) } : operand(t, src));
    }
    if (inParen) fail(`unclosed "(" in "${src}"`);
    if (cmds.some((c) => c.length === 0)) fail(`empty command in "${src}"`);
    return cmds;
  };
  return pipeline(false);
}

function lex(src: string): string[] {
  const re = /\s*("(?:[^"\\]|\\.)*"|`[^`]*`|[()|]|[^\s()|]+)/gy;
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
  if (t === ".") return { kind: "field", root: "dot", path: [] };
  if (t === "$") return { kind: "field", root: "dollar", path: [] };
  if (/^(\$)?(\.[A-Za-z_][\w-]*)+$/.test(t)) {
    return { kind: "field", root: t.startsWith("$") ? "dollar" : "dot", path: t.replace(/^\$/, "").slice(1).split(".") };
  }
  if (/^[A-Za-z_]\w*$/.test(t)) {
    if (!(t in FUNCS)) fail(`function "${t}" not defined in "${src}"`);
    return { kind: "ident", name: t };
  }
  fail(`unexpected "${t}" in "${src}"`);
}

function run(nodes: Node[], dot: unknown, root: unknown): string {
  let out = "";
  for (const n of nodes) {
    if (n.kind === "text") out += n.text;
    else if (n.kind === "action") out += show(evalPipe(n.pipe, dot, root));
    else {
      const v = evalPipe(n.pipe, dot, root);
      if (n.kind === "if") out += run(truthy(v) ? n.then : n.else, dot, root);
      else if (n.kind === "with") out += truthy(v) ? run(n.then, v, root) : run(n.else, dot, root);
      else {
        const items = Array.isArray(v) ? v : v && typeof v === "object" ? Object.keys(v).sort().map((k) => (v as Record<string, unknown>)[k]) : [];
        out += items.length ? items.map((item) => run(n.then, item, root)).join("") : run(n.else, dot, root);
      }
    }
  }
  return out;
}

function evalPipe(pipe: Expr[][], dot: unknown, root: unknown): unknown {
  let piped: unknown[] = [];
  for (const cmd of pipe) {
    const [head, ...args] = cmd;
    let value: unknown;
    if (head!.kind === "ident") {
      const argv = [...args.map((a) => evalExpr(a, dot, root)), ...piped];
      value = FUNCS[head!.name]!(...argv);
    } else if (head!.kind === "field" && head!.path.length) {
      // a field may be a method (Docker's `{{.Label "k"}}`): call it with the arguments
      const method = evalField(head!, dot, root);
      const argv = [...args.map((a) => evalExpr(a, dot, root)), ...piped];
      value = typeof method === "function" ? callMethod(method, head!.path.at(-1)!, argv) : method;
      if (typeof method !== "function" && argv.length) fail("can't give arguments to a non-function");
    } else {
      if (args.length || piped.length) fail("can't give arguments to a non-function");
      value = evalExpr(head!, dot, root);
    }
    piped = [value];
  }
  return piped[0];
}

function evalExpr(e: Expr, dot: unknown, root: unknown): unknown {
  switch (e.kind) {
    case "literal": return e.value;
    case "sub": return evalPipe(e.pipe, dot, root);
    case "ident": return FUNCS[e.name]!();
    case "field": {
      const v = evalField(e, dot, root);
      return typeof v === "function" ? callMethod(v, e.path.at(-1)!, []) : v;
    }
  }
}

/** A field path's value; a method it ends in comes back uncalled. */
function evalField(e: Extract<Expr, { kind: "field" }>, dot: unknown, root: unknown): unknown {
  let v: unknown = e.root === "dot" ? dot : root;
  for (const [i, key] of e.path.entries()) {
    if (typeof v === "function") v = callMethod(v, e.path[i - 1]!, []);
    if (v === null || v === undefined || typeof v !== "object") return undefined;
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
