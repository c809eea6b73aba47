/**
 * A container's own size (Docker's SizeRw): what it wrote, i.e. its upper
 * layer, or the whole copied root for the copy driver. Counted as Docker's
 * daemon does: apparent sizes of everything but directories, hard links
 * once. lstat needs no user namespace even for files of subordinate ids;
 * a directory we may not read (theirs, mode 0700) is left out.
 */
import { lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { containerDir, type ContainerRecord } from "../store/container-store.ts";

export function containerSizeRw(root: string, rec: ContainerRecord): number {
  const dir = containerDir(root, rec.id);
  return treeSize(join(dir, rec.driver === "copy" ? "rootfs" : "upper"));
}

export function treeSize(top: string): number {
  const seen = new Set<number>();
  let total = 0;
  const walk = (dir: string) => {
    let names: string[];
    try { names = readdirSync(dir); } catch { return; }
    for (const name of names) {
      const path = join(dir, name);
      let st;
      try { st = lstatSync(path); } catch { continue; }
      if (st.isDirectory()) { walk(path); continue; }
      if (st.size === 0 || seen.has(st.ino)) continue;
      seen.add(st.ino);
      total += st.size;
    }
  };
  walk(top);
  return total;
}
