/**
 * The last-resort storage driver: the image's layers copied, bottom layer
 * first, into one plain directory, with overlay whiteouts applied as
 * deletions. Runs where files of mapped ids can be created (root, or inside
 * rr's user namespace), so owners, modes, times and xattrs carry over.
 */
import {
  copyFileSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, readdirSync, readlinkSync,
  rmSync, symlinkSync, chmodSync, utimesSync, type Stats,
} from "node:fs";
import { join } from "node:path";
import { lgetxattr, llistxattr, lsetxattr, mknod, S_IFIFO } from "../sys/libc.ts";

const OPAQUE = "user.overlay.opaque";

function tryLstat(path: string): Stats | undefined {
  try { return lstatSync(path); } catch { return undefined; }
}

function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

function isOpaque(dir: string): boolean {
  try { return lgetxattr(dir, OPAQUE)?.[0] === 0x79; } catch { return false; }
}

function copyMeta(src: string, dst: string, st: Stats): void {
  try { lchownSync(dst, st.uid, st.gid); } catch {}
  if (!st.isSymbolicLink()) {
    chmodSync(dst, st.mode & 0o7777);
    try {
      for (const name of llistxattr(src)) {
        if (name.startsWith("user.overlay.") || name.startsWith("trusted.")) continue;
        const v = lgetxattr(src, name);
        if (v) lsetxattr(dst, name, v);
      }
    } catch {}
    utimesSync(dst, st.atime, st.mtime);
  } else {
    try { lutimesSync(dst, st.atime, st.mtime); } catch {}
  }
}

function copyTree(srcDir: string, dstDir: string, links: Map<string, string>): void {
  for (const name of readdirSync(srcDir)) {
    const src = join(srcDir, name);
    const dst = join(dstDir, name);
    const st = lstatSync(src);
    const existing = tryLstat(dst);
    if (isWhiteout(st)) {
      if (existing) rmSync(dst, { recursive: true, force: true });
      continue;
    }
    if (st.isDirectory()) {
      if (existing && (!existing.isDirectory() || isOpaque(src))) rmSync(dst, { recursive: true, force: true });
      if (!existing || !existing.isDirectory() || isOpaque(src)) mkdirSync(dst, { mode: 0o700 });
      copyTree(src, dst, links);
      copyMeta(src, dst, st);
      continue;
    }
    if (existing) rmSync(dst, { recursive: true, force: true });
    const key = `${st.dev}:${st.ino}`;
    if (st.nlink > 1 && links.has(key)) {
      linkSync(links.get(key)!, dst);
      continue;
    }
    if (st.isSymbolicLink()) symlinkSync(readlinkSync(src), dst);
    else if (st.isFile()) copyFileSync(src, dst);
    else if (st.isFIFO()) mknod(dst, S_IFIFO | (st.mode & 0o777));
    else continue; // device nodes: the container gets its /dev from rr
    if (st.nlink > 1) links.set(key, dst);
    copyMeta(src, dst, st);
  }
}

/** `layers` from the bottom (base) layer up; `dest` is an empty directory. */
export function copyLayers(layers: string[], dest: string): void {
  for (const layer of layers) copyTree(layer, dest, new Map());
  copyMeta(layers.at(-1) ?? dest, dest, lstatSync(layers[0] ?? dest));
}
