/**
 * `docker cp`'s rules for where a copied resource lands (moby's
 * PrepareArchiveCopy), shared by both directions: the source travels as a
 * tar whose top entry is the source's name (or `.` for `SRC/.`, the
 * contents only), and the destination decides whether it is extracted
 * into DEST itself or into DEST's parent under DEST's name.
 */
import { UsageError } from "../../errors.ts";

export interface CopySource {
  isDir: boolean;
  /** The tar's top-level name: the source's base name, or `.` to copy a directory's contents. */
  top: string;
}

export interface CopyDest {
  /** What is at DEST (after following a final symlink), if anything. */
  exists: boolean;
  isDir: boolean;
  /** DEST ends with `/` or `/.`: it must be a directory. */
  assertsDir: boolean;
  /** For messages: DEST as the user wrote it. */
  label: string;
}

/** Extract into DEST itself, or into its parent renaming the top entry to `rename`. */
export type CopyPlan = { into: "dest" } | { into: "parent"; rename: string };

export function planCopy(src: CopySource, dest: CopyDest, destName: string): CopyPlan {
  if (dest.exists && dest.isDir) return { into: "dest" };
  if (dest.exists && src.isDir) {
    throw new UsageError(`cannot copy directory: ${dest.label} exists and is not a directory`);
  }
  if (!dest.exists && !src.isDir && dest.assertsDir) {
    throw new UsageError(`no such directory: ${dest.label}`, { hint: "Create the directory first, or leave out the trailing slash to name the new file." });
  }
  return { into: "parent", rename: destName };
}

/** `a/b/.` and `a/b/` must be directories; `/` and `.` always are. */
export function assertsDirectory(path: string): boolean {
  return path.endsWith("/") || path === "." || path.endsWith("/.");
}

/** The tar top name for a source path as written: its last name, or `.` for `X/.` and `/`. */
export function sourceTop(path: string): string {
  if (path === "." || path.endsWith("/.")) return ".";
  const parts = path.split("/").filter((p) => p !== "" && p !== ".");
  return parts.length ? parts[parts.length - 1]! : ".";
}

/** Replaces the top-level name `from` of a tar entry name (or hard link target) with `to`. */
export function rebaseName(name: string, from: string, to: string): string {
  const clean = name.replace(/^(\.\/)+/, "");
  if (from === ".") return clean === "" || clean === "." ? to : `${to}/${clean}`;
  if (clean === from || clean === `${from}/`) return to;
  if (clean.startsWith(`${from}/`)) return `${to}/${clean.slice(from.length + 1)}`;
  return clean;
}
