/**
 * One directory of a container's root as overlayfs shows it, computed from
 * the layer directories themselves: the top-most layer that has a name wins,
 * a whiteout (a 0/0 character device, or fuse-overlayfs's `.wh.NAME` file)
 * hides the name below it, and an opaque directory hides everything below.
 * A single layer is a plain directory tree (a copy-driver root, a running
 * container's /proc/PID/root). Layers are held open as directory fds
 * (dir-fd.ts), so nothing here follows a symlink.
 */
import type { Stats } from "node:fs";
import { DirFd, isWhiteoutStat, sortNames } from "./dir-fd.ts";

export const WHITEOUT_PREFIX = ".wh.";
export const OPAQUE_MARKER = ".wh..wh..opq";
/** Kernel overlay in a user namespace (userxattr), as root without it, and fuse-overlayfs's own. */
const OPAQUE_XATTRS = ["user.overlay.opaque", "trusted.overlay.opaque", "user.fuseoverlayfs.opaque"];

export interface LayerHandle {
  /** 0 is the top layer of the view (a container's upper). */
  index: number;
  dir: DirFd;
  /** fuse-overlayfs may write `.wh.NAME` files instead of whiteout devices. */
  whiteoutFiles: boolean;
}

export interface Entry {
  name: string;
  stat: Stats;
  /** The layer the entry comes from and its directory there. */
  layer: number;
  dir: DirFd;
}

export class LayeredDir {
  /** `layers`: this directory in each layer that contributes to it, top first. Owned: close() closes them. */
  constructor(readonly layers: LayerHandle[]) {}

  /** The root of a view over layer directories given top first. */
  static open(roots: { path: string; whiteoutFiles?: boolean }[]): LayeredDir {
    const layers: LayerHandle[] = [];
    try {
      roots.forEach((r, index) => layers.push({ index, dir: DirFd.open(r.path), whiteoutFiles: !!r.whiteoutFiles }));
    } catch (err) {
      for (const l of layers) l.dir.close();
      throw err;
    }
    return new LayeredDir(layers);
  }

  /** The top-most entry for NAME, or undefined when no layer has it or a whiteout hides it. */
  lookup(name: string): Entry | undefined {
    for (const l of this.layers) {
      if (hiddenByFile(l, name)) return undefined;
      const st = l.dir.lstat(name);
      if (!st) continue;
      if (isWhiteoutStat(st)) return undefined;
      return { name, stat: st, layer: l.index, dir: l.dir };
    }
    return undefined;
  }

  /** Every visible name, sorted by bytes. */
  names(): string[] {
    const seen = new Set<string>();
    const hidden = new Set<string>();
    for (const l of this.layers) {
      for (const n of l.dir.list()) {
        if (l.whiteoutFiles && n.startsWith(WHITEOUT_PREFIX)) {
          if (n !== OPAQUE_MARKER) hidden.add(n.slice(WHITEOUT_PREFIX.length));
          continue;
        }
        if (seen.has(n) || hidden.has(n)) continue;
        const st = l.dir.lstat(n);
        if (!st) continue;
        if (isWhiteoutStat(st)) hidden.add(n);
        else seen.add(n);
      }
    }
    return sortNames([...seen]);
  }

  /** The child directory NAME as merged from every layer down to the first that hides the rest. */
  openChild(name: string): LayeredDir {
    const layers: LayerHandle[] = [];
    try {
      for (const l of this.layers) {
        if (hiddenByFile(l, name)) break;
        const st = l.dir.lstat(name);
        if (!st) continue;
        if (!st.isDirectory()) break; // a whiteout or a non-directory hides everything below
        const dir = l.dir.openDir(name);
        layers.push({ index: l.index, dir, whiteoutFiles: l.whiteoutFiles });
        if (isOpaque(dir, l.whiteoutFiles)) break;
      }
    } catch (err) {
      for (const l of layers) l.dir.close();
      throw err;
    }
    return new LayeredDir(layers);
  }

  /** This directory in the layer with that index, if it has it. */
  layer(index: number): LayerHandle | undefined {
    return this.layers.find((l) => l.index === index);
  }

  close(): void {
    for (const l of this.layers) l.dir.close();
  }
}

function hiddenByFile(l: LayerHandle, name: string): boolean {
  return l.whiteoutFiles && l.dir.lstat(WHITEOUT_PREFIX + name) !== undefined;
}

/** An opaque directory hides the layers below it. */
export function isOpaque(dir: DirFd, whiteoutFiles: boolean): boolean {
  for (const x of OPAQUE_XATTRS) {
    const v = dir.getxattr(undefined, x);
    if (v && v[0] === 0x79 /* y */) return true;
  }
  return whiteoutFiles && dir.lstat(OPAQUE_MARKER) !== undefined;
}

/** Extended attributes that are overlayfs's bookkeeping, never the file's own. */
export function isOverlayXattr(name: string): boolean {
  return name.startsWith("trusted.") || name.startsWith("user.overlay.") || name.startsWith("user.fuseoverlayfs.");
}
