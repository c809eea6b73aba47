/**
 * COPY and ADD sources from the build context: patterns matched against the
 * context (minus .dockerignore), turned into the entries of one layer tar
 * with Docker's directory rules, and a hash of exactly what the layer holds
 * (names, types, modes, owners, link targets, contents — never mtimes), which
 * is what the build cache keys on.
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync, type Stats } from "node:fs";
import { basename, join, posix } from "node:path";
import { createHash } from "node:crypto";
import type { TarSpec } from "../../image/tar-writer.ts";
import type { DockerIgnore } from "../../build/dockerignore.ts";
import { RrError } from "../../errors.ts";

export interface BuildContext {
  dir: string;
  ignore: DockerIgnore;
}

export interface CopyOptions {
  /** Absolute destination in the image. */
  dest: string;
  /** The destination names a directory (trailing slash, several sources, or a directory in the image). */
  destIsDir: boolean;
  owner: { uid: number; gid: number };
  chmod?: number;
  /** Whether a path exists in the image already (its parents are then left alone). */
  existsInImage(path: string): boolean;
}

function globRegex(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end < 0) re += "\\[";
      else { re += `[${pattern.slice(i + 1, end).replace(/^!/, "^").replace(/\\/g, "\\\\")}]`; i = end; }
    } else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

const clean = (p: string) => posix.normalize(p.replace(/^\/+/, "")).replace(/^(\.\/)+/, "").replace(/\/+$/, "") || ".";

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

/** The context paths a COPY source pattern names; a miss is Docker's error. */
export function matchSources(ctx: BuildContext, patterns: string[], instruction: string): string[] {
  let all: string[] | undefined;
  const found: string[] = [];
  for (const raw of patterns) {
    const p = clean(raw);
    if (p === "." ) { found.push("."); continue; }
    if (p.startsWith("../") || p === "..") {
      throw new RrError(`${instruction} failed: forbidden path outside the build context: ${raw}`);
    }
    if (/[*?[]/.test(p)) {
      all ??= walk(ctx);
      const re = globRegex(p);
      const hits = all.filter((r) => re.test(r));
      if (!hits.length) throw new RrError(`${instruction} failed: no source files were specified`, { hint: `Nothing in the build context matches "${raw}".` });
      found.push(...hits);
      continue;
    }
    let st: Stats | undefined;
    try { st = lstatSync(join(ctx.dir, p)); } catch {}
    if (!st || ctx.ignore.isIgnored(p, st.isDirectory())) {
      throw new RrError(`${instruction} failed: file not found in build context or excluded by .dockerignore: stat ${raw}: file does not exist`);
    }
    found.push(p);
  }
  return found;
}

function modeOf(st: Stats, chmod: number | undefined): number {
  return chmod ?? st.mode & 0o7777;
}

/** The layer's entries for these sources, and the hash the cache keys on. */
export function copyEntries(ctx: BuildContext, sources: string[], opts: CopyOptions): { entries: TarSpec[]; hash: string } {
  const entries: TarSpec[] = [];
  const hash = createHash("sha256");
  const meta = { uid: opts.owner.uid, gid: opts.owner.gid };
  const dest = posix.normalize(opts.dest);
  const addParents = (path: string) => {
    const parts = path.split("/").filter(Boolean);
    for (let i = 1; i < parts.length; i++) {
      const p = "/" + parts.slice(0, i).join("/");
      if (!opts.existsInImage(p) && !entries.some((e) => e.path === p.slice(1))) entries.push({ type: "dir", path: p.slice(1), mode: 0o755, ...meta });
    }
  };
  const addOne = (rel: string, at: string) => {
    const abs = join(ctx.dir, rel);
    const st = lstatSync(abs);
    const path = at.replace(/^\/+/, "");
    const m = { ...meta, mode: modeOf(st, opts.chmod), mtime: Math.floor(st.mtimeMs / 1000) };
    if (st.isDirectory()) {
      entries.push({ type: "dir", path, ...m });
      hash.update(`d ${path} ${m.mode} ${m.uid}:${m.gid}\n`);
      for (const n of readdirSync(abs).sort()) {
        const r = rel === "." ? n : `${rel}/${n}`;
        const child = lstatSync(join(ctx.dir, r));
        if (child.isDirectory() ? ctx.ignore.canSkipDir(r) : ctx.ignore.isIgnored(r, false)) continue;
        addOne(r, `${at}/${n}`);
      }
    } else if (st.isSymbolicLink()) {
      const linkname = readlinkSync(abs);
      entries.push({ type: "symlink", path, linkname, ...m, mode: 0o777 });
      hash.update(`l ${path} ${linkname} ${m.uid}:${m.gid}\n`);
    } else if (st.isFile()) {
      const data = readFileSync(abs);
      entries.push({ type: "file", path, data, ...m });
      hash.update(`f ${path} ${m.mode} ${m.uid}:${m.gid} ${createHash("sha256").update(data).digest("hex")}\n`);
    }
  };
  for (const rel of sources) {
    const st = lstatSync(join(ctx.dir, rel));
    if (st.isDirectory()) {
      // a directory's contents go into dest, which becomes a directory
      addParents(dest + "/x");
      if (dest !== "/" && !opts.existsInImage(dest)) entries.push({ type: "dir", path: dest.slice(1), mode: 0o755, ...meta });
      for (const n of readdirSync(join(ctx.dir, rel)).sort()) {
        const r = rel === "." ? n : `${rel}/${n}`;
        const child = lstatSync(join(ctx.dir, r));
        if (child.isDirectory() ? ctx.ignore.canSkipDir(r) : ctx.ignore.isIgnored(r, false)) continue;
        addOne(r, posix.join(dest, n));
      }
    } else {
      const at = opts.destIsDir ? posix.join(dest, basename(rel)) : dest;
      addParents(at);
      addOne(rel, at);
    }
  }
  return { entries, hash: hash.digest("hex") };
}

/** Files made from heredoc sources (`COPY <<EOF /etc/x`). */
export function heredocEntries(docs: { name: string; content: string }[], opts: CopyOptions): { entries: TarSpec[]; hash: string } {
  const hash = createHash("sha256");
  const entries: TarSpec[] = [];
  for (const d of docs) {
    const at = opts.destIsDir ? posix.join(opts.dest, d.name) : opts.dest;
    entries.push({ type: "file", path: at.slice(1), data: d.content, mode: opts.chmod ?? 0o644, uid: opts.owner.uid, gid: opts.owner.gid });
    hash.update(`h ${at} ${opts.chmod ?? 0o644} ${opts.owner.uid}:${opts.owner.gid} ${createHash("sha256").update(d.content).digest("hex")}\n`);
  }
  return { entries, hash: hash.digest("hex") };
}
