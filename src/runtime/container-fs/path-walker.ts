/**
 * Looks up many paths of a layered view in turn without following any
 * symlink, keeping the directories of the previous path open: a list in
 * depth-first order (a change list) opens each directory once.
 */
import type { Entry, LayeredDir } from "./layered-dir.ts";

export class PathWalker {
  private readonly dirs: LayeredDir[];
  private readonly names: string[] = [];

  constructor(root: LayeredDir) {
    this.dirs = [root];
  }

  /** The entry at an absolute path, or undefined if it (or a directory on the way) is not there. */
  lookup(path: string): { dir: LayeredDir; entry: Entry } | undefined {
    const parts = path.split("/").filter(Boolean);
    const name = parts.pop();
    if (name === undefined) return undefined;
    let keep = 0;
    while (keep < this.names.length && keep < parts.length && this.names[keep] === parts[keep]) keep++;
    this.popTo(keep);
    for (let i = keep; i < parts.length; i++) {
      const here = this.dirs[this.dirs.length - 1]!;
      const e = here.lookup(parts[i]!);
      if (!e?.stat.isDirectory()) return undefined;
      this.dirs.push(here.openChild(parts[i]!));
      this.names.push(parts[i]!);
    }
    const dir = this.dirs[this.dirs.length - 1]!;
    const entry = dir.lookup(name);
    return entry ? { dir, entry } : undefined;
  }

  close(): void {
    this.popTo(0);
  }

  private popTo(depth: number): void {
    while (this.names.length > depth) {
      this.dirs.pop()!.close();
      this.names.pop();
    }
  }
}
