/**
 * What rr itself puts into a container's own layer: mount points for
 * /proc, /sys, /dev and the generated /etc files. Docker keeps its
 * equivalents in an "init" layer below the container's, so they never show
 * in `docker diff` and never enter a committed image; rr leaves them out of
 * `diff` and `commit` the same way (`export`, a copy of the whole root, keeps them).
 */
import type { Stats } from "node:fs";

const DIRS = new Set(["/proc", "/sys", "/dev"]);
const FILES = new Set(["/etc/hosts", "/etc/hostname", "/etc/resolv.conf"]);

export function isPlaceholder(path: string, st: Stats | undefined): boolean {
  if (!st) return false;
  if (DIRS.has(path)) return st.isDirectory();
  if (FILES.has(path)) return st.isFile();
  return false;
}
