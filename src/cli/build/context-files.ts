/**
 * COPY and ADD sources from the build context: patterns matched against the
 * context (minus .dockerignore) and read as source trees. As in Docker, a
 * source that is a symlink is followed and so are symlinks on the way to it,
 * always inside the context directory (an absolute target starts again at
 * the context's root, `..` stops there): a context can never make rr read a
 * file outside it. Symlinks inside a copied directory are copied as links.
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync, type Stats } from "node:fs";
import { join, posix } from "node:path";
import type { DockerIgnore } from "../../build/dockerignore.ts";
import { RrError } from "../../errors.ts";
import type { SourceTree, TreeItem } from "./source-tree.ts";

export interface BuildContext {
  dir: string;
  ignore: DockerIgnore;
}

/** A context path as the pattern named it, and where it leads once symlinks are followed. */
export interface ContextSource {
  written: string;
  /** Relative to the context, "." for its root. */
  resolved: string;
}

/** Go's filepath.Match pattern as a regular expression over one path (no `/` crossed by wildcards). */
export function globRegex(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "\\" && i + 1 < pattern.length) re += pattern[++i]!.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end < 0) re += "\\[";
      else { re += `[${pattern.slice(i + 1, end).replace(/^!/, "^").replace(/\\/g, "\\\\")}]`; i = end; }
    } else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

export const hasGlob = (p: string) => /[*?[]/.test(p);

const clean = (p: string) => posix.normalize(p.replace(/^\/+/, "")).replace(/^(\.\/)+/, "").replace(/\/+$/, "") || ".";

function lstatOrUndefined(path: string): Stats | undefined {
  try { return lstatSync(path); } catch { return undefined; }
}

/**
 * The context path `rel` leads to, following symlinks inside the context
 * (all of them, the last one too), or undefined when nothing is there.
 */
export function resolveInContext(dir: string, rel: string): string | undefined {
  const parts: string[] = [];
  const queue = rel.split("/");
  let links = 0;
  while (queue.length) {
    const part = queue.shift()!;
    if (part === "" || part === ".") continue;
    if (part === "..") { parts.pop(); continue; }
    const st = lstatOrUndefined(join(dir, ...parts, part));
    if (!st) return undefined;
    if (st.isSymbolicLink()) {
      if (++links > 40) throw new RrError(`${rel}: too many levels of symbolic links in the build context`);
      const target = readlinkSync(join(dir, ...parts, part));
      if (target.startsWith("/")) parts.length = 0;
      queue.unshift(...target.split("/"));
      continue;
    }
    if (!st.isDirectory() && queue.some((q) => q !== "" && q !== ".")) return undefined;
    parts.push(part);
  }
  return parts.join("/") || ".";
}

/** Every context path (files and directories) that .dockerignore keeps, relative, sorted. */
function walk(ctx: BuildContext, rel = ""): string[] {
  const out: string[] = [];
  let names: string[];
  try { names = readdirSync(join(ctx.dir, rel)).sort(); } catch { return out; }
  for (const n of names) {
    const r = rel ? `${rel}/${n}` : n;
    const st = lstatSync(join(ctx.dir, r));
    if (st.isDirectory()) {
      if (ctx.ignore.canSkipDir(r)) continue;
      if (!ctx.ignore.isIgnored(r, true)) out.push(r);
      out.push(...walk(ctx, r));
    } else if (!ctx.ignore.isIgnored(r, false)) out.push(r);
  }
  return out;
}

function notFound(instruction: string, raw: string): RrError {
  return new RrError(`${instruction} failed: file not found in build context or excluded by .dockerignore: stat ${raw}: file does not exist`);
}

/** The context paths a COPY source pattern names; a miss is Docker's error. */
export function matchSources(ctx: BuildContext, patterns: string[], instruction: string): ContextSource[] {
  let all: string[] | undefined;
  const found: ContextSource[] = [];
  const add = (raw: string, written: string) => {
    const resolved = resolveInContext(ctx.dir, written);
    if (resolved === undefined) throw notFound(instruction, raw);
    const st = lstatSync(join(ctx.dir, resolved));
    if (resolved !== "." && ctx.ignore.isIgnored(resolved, st.isDirectory())) throw notFound(instruction, raw);
    found.push({ written, resolved });
  };
  for (const raw of patterns) {
    const p = clean(raw);
    if (p === "." ) { found.push({ written: ".", resolved: "." }); continue; }
    if (p.startsWith("../") || p === "..") {
      throw new RrError(`${instruction} failed: forbidden path outside the build context: ${raw}`);
    }
    if (hasGlob(p)) {
      all ??= walk(ctx);
      const re = globRegex(p);
      const hits = all.filter((r) => re.test(r));
      if (!hits.length) throw new RrError(`${instruction} failed: no source files were specified`, { hint: `Nothing in the build context matches "${raw}".` });
      for (const h of hits) add(raw, h);
      continue;
    }
    const st = lstatOrUndefined(join(ctx.dir, p));
    if (st && ctx.ignore.isIgnored(p, st.isDirectory())) throw notFound(instruction, raw);
    add(raw, p);
  }
  return found;
}

function itemOf(rel: string, st: Stats, abs: string): TreeItem | undefined {
  const base = { rel, mode: st.mode & 0o7777, uid: 0, gid: 0, mtime: Math.floor(st.mtimeMs / 1000) };
  if (st.isSymbolicLink()) return { ...base, type: "symlink", linkname: readlinkSync(abs) };
  if (st.isFile()) return { ...base, type: "file", data: readFileSync(abs) };
  return undefined; // sockets, fifos and devices of the context are not copied
}

/** A context source as a tree; files belong to 0:0 as Docker's context copies do. */
export function contextTree(ctx: BuildContext, source: ContextSource): SourceTree {
  const name = posix.basename(source.written === "." ? "." : source.written);
  const abs = join(ctx.dir, source.resolved);
  const st = lstatSync(abs);
  if (!st.isDirectory()) {
    const item = itemOf("", st, abs);
    return { name, items: item ? [item] : [] };
  }
  const items: TreeItem[] = [{ rel: "", type: "dir", mode: 0o755, uid: 0, gid: 0, mtime: Math.floor(st.mtimeMs / 1000) }];
  const visit = (ctxRel: string, rel: string) => {
    for (const n of readdirSync(join(ctx.dir, ctxRel)).sort()) {
      const c = ctxRel === "." ? n : `${ctxRel}/${n}`;
      const r = rel ? `${rel}/${n}` : n;
      const cst = lstatSync(join(ctx.dir, c));
      if (cst.isDirectory()) {
        if (ctx.ignore.canSkipDir(c)) continue;
        items.push({ rel: r, type: "dir", mode: cst.mode & 0o7777, uid: 0, gid: 0, mtime: Math.floor(cst.mtimeMs / 1000) });
        visit(c, r);
      } else if (!ctx.ignore.isIgnored(c, false)) {
        const item = itemOf(r, cst, join(ctx.dir, c));
        if (item) items.push(item);
      }
    }
  };
  visit(source.resolved, "");
  return { name, items };
}

/** Files made from heredoc sources (`COPY <<EOF /etc/x`), named after their delimiter. */
export function heredocTrees(docs: { name: string; content: string }[]): SourceTree[] {
  return docs.map((d) => ({
    name: d.name,
    items: [{ rel: "", type: "file", mode: 0o644, uid: 0, gid: 0, mtime: 0, data: Buffer.from(d.content) }],
  }));
}
