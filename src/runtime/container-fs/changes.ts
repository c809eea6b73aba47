/**
 * What a container changed, as `docker diff` lists it: A (added), C
 * (changed), D (deleted), depth first with names in byte order (Go's
 * filepath.Walk). A directory shows as C when its own mode or owner
 * changed, or when anything below it did (Docker's naive differ does the
 * same: the parent must be in a layer for its children to be). Directory
 * mtimes and sizes alone are ignored: creating and removing a file leaves
 * nothing to report.
 *
 * Overlay and fuse-overlayfs containers are read from their upper layer
 * (only what it holds can differ); a copy-driver root is compared with the
 * image's layers entry by entry: type, mode, owner, size, mtime, link target.
 */
import type { Stats } from "node:fs";
import { type DirFd, isWhiteoutStat, sortNames } from "./dir-fd.ts";
import { isOpaque, type LayeredDir, OPAQUE_MARKER, WHITEOUT_PREFIX } from "./layered-dir.ts";
import { isPlaceholder } from "./placeholders.ts";

export type ChangeKind = "A" | "C" | "D";

export interface Change {
  kind: ChangeKind;
  path: string;
  /** A directory that hides the image's version of it (its layer entry needs `.wh..wh..opq`). */
  opaque?: boolean;
  /** A deletion already implied by an opaque parent: listed, but needs no whiteout of its own. */
  underOpaque?: boolean;
}

const S_IFMT = 0o170000;

function join(dir: string, name: string): string {
  return dir === "/" ? `/${name}` : `${dir}/${name}`;
}

function ownerOrModeDiffers(a: Stats, b: Stats): boolean {
  return a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid;
}

/** Runs `walk` for a directory and, when it found changes but the directory itself was not one, puts C first. */
function withParent(out: Change[], self: Change | undefined, path: string, walk: () => void): void {
  const mark = out.length;
  if (self) out.push(self);
  walk();
  if (!self && out.length > mark) out.splice(mark, 0, { kind: "C", path });
}

/** `upper`: the container's upper directory; `lowers`: the image's layers merged. */
export function overlayChanges(upper: DirFd, lowers: LayeredDir, whiteoutFiles: boolean): Change[] {
  const out: Change[] = [];
  walkUpper(upper, whiteoutFiles, lowers, false, "/", out);
  return out;
}

function walkUpper(upper: DirFd, whiteoutFiles: boolean, before: LayeredDir | undefined, opaque: boolean, path: string, out: Change[]): void {
  const present = new Set<string>();
  const deleted = new Set<string>();
  for (const n of upper.list()) {
    if (whiteoutFiles && n.startsWith(WHITEOUT_PREFIX)) {
      if (n !== OPAQUE_MARKER) deleted.add(n.slice(WHITEOUT_PREFIX.length));
    } else {
      present.add(n);
    }
  }
  const hidden = new Set<string>();
  if (opaque && before) for (const n of before.names()) if (!present.has(n) && !deleted.has(n)) hidden.add(n);
  for (const name of sortNames([...new Set([...present, ...deleted, ...hidden])])) {
    const child = join(path, name);
    const below = before?.lookup(name);
    if (!present.has(name)) {
      if (below && !isPlaceholder(child, below.stat)) out.push({ kind: "D", path: child, ...(hidden.has(name) ? { underOpaque: true } : {}) });
      continue;
    }
    const st = upper.lstat(name);
    if (!st || isPlaceholder(child, st)) continue;
    if (isWhiteoutStat(st)) {
      if (below) out.push({ kind: "D", path: child, ...(opaque ? { underOpaque: true } : {}) });
      continue;
    }
    if (!st.isDirectory()) {
      out.push({ kind: below ? "C" : "A", path: child });
      continue;
    }
    const dir = upper.openDir(name);
    const belowDir = below?.stat.isDirectory() ? before!.openChild(name) : undefined;
    try {
      const childOpaque = belowDir !== undefined && isOpaque(dir, whiteoutFiles);
      const self: Change | undefined = !below ? { kind: "A", path: child }
        : !belowDir || childOpaque || ownerOrModeDiffers(st, below.stat) ? { kind: "C", path: child, ...(childOpaque ? { opaque: true } : {}) }
        : undefined;
      withParent(out, self, child, () => walkUpper(dir, whiteoutFiles, belowDir, childOpaque, child, out));
    } finally {
      belowDir?.close();
      dir.close();
    }
  }
}

/** `root`: a copy-driver container's whole root; `lowers`: the image's layers merged. */
export function copyChanges(root: DirFd, lowers: LayeredDir): Change[] {
  const out: Change[] = [];
  walkCopy(root, lowers, "/", out);
  return out;
}

function walkCopy(after: DirFd, before: LayeredDir | undefined, path: string, out: Change[]): void {
  const names = sortNames([...new Set([...after.list(), ...(before?.names() ?? [])])]);
  for (const name of names) {
    const child = join(path, name);
    const now = after.lstat(name);
    const was = before?.lookup(name);
    if (isPlaceholder(child, now) || (!now && was && isPlaceholder(child, was.stat))) continue;
    if (!now) {
      if (was) out.push({ kind: "D", path: child });
      continue;
    }
    if (!now.isDirectory()) {
      if (!was) out.push({ kind: "A", path: child });
      else if (fileDiffers(now, after, was.stat, was.dir, name)) out.push({ kind: "C", path: child });
      continue;
    }
    const dir = after.openDir(name);
    const wasDir = was?.stat.isDirectory() ? before!.openChild(name) : undefined;
    try {
      const self: Change | undefined = !was ? { kind: "A", path: child }
        : !wasDir || ownerOrModeDiffers(now, was.stat) ? { kind: "C", path: child } : undefined;
      withParent(out, self, child, () => walkCopy(dir, wasDir, child, out));
    } finally {
      wasDir?.close();
      dir.close();
    }
  }
}

function fileDiffers(a: Stats, aDir: DirFd, b: Stats, bDir: DirFd, name: string): boolean {
  if ((a.mode & S_IFMT) !== (b.mode & S_IFMT) || ownerOrModeDiffers(a, b) || a.rdev !== b.rdev) return true;
  // The copy driver sets times with millisecond precision.
  if (Math.floor(a.mtimeMs) !== Math.floor(b.mtimeMs)) return true;
  if (a.isSymbolicLink()) return aDir.readlink(name) !== bDir.readlink(name);
  return a.size !== b.size;
}
