/**
 * Resolves a path inside a container's root the way the container itself
 * would (openat2's RESOLVE_IN_ROOT): absolute symlink targets start again
 * at the container's root, `..` never climbs above it. Every step is a
 * lookup in the layered view, so a symlink such as `/evil -> /` or
 * `-> ../../..` leads to the container's `/`, never to the host's.
 */
import { RrError } from "../../errors.ts";
import type { Entry, LayeredDir } from "./layered-dir.ts";

const MAX_SYMLINKS = 40; // Linux's own limit

export class ResolveError extends RrError {
  constructor(readonly reason: "missing" | "not-a-directory" | "loop", readonly path: string) {
    super(reason === "loop" ? `${path}: too many levels of symbolic links`
      : reason === "missing" ? `${path}: no such file or directory` : `${path}: not a directory`, { code: "RESOLVE" });
  }
}

export interface Resolved {
  /** Directories from the root (chain[0], not owned) to the one holding `name`. */
  chain: LayeredDir[];
  /** The names of chain[1..]. */
  names: string[];
  /** The final component; undefined only for the root itself. */
  name?: string;
  /** What is there now; undefined when the final component does not exist (its parent does). */
  entry?: Entry;
  /** Closes the directories this resolution opened. */
  release(): void;
}

/** The canonical path of a resolution, e.g. `/usr/bin/sh`. */
export function resolvedPath(r: Pick<Resolved, "names" | "name">): string {
  return "/" + [...r.names, ...(r.name === undefined ? [] : [r.name])].join("/");
}

/**
 * `followLast`: a symlink as the final component is followed (cp -L, a path
 * ending in `/`); otherwise it is the result. Intermediate symlinks are
 * always followed, inside the root.
 */
export function resolveInRoot(root: LayeredDir, path: string, opts: { followLast: boolean }): Resolved {
  const chain: LayeredDir[] = [root];
  const names: string[] = [];
  const release = () => { for (const d of chain.splice(1)) d.close(); };
  const here = () => "/" + names.join("/");
  const queue = path.split("/");
  let links = 0;
  try {
    while (queue.length) {
      const part = queue.shift()!;
      if (part === "" || part === ".") continue;
      if (part === "..") {
        if (chain.length > 1) { chain.pop()!.close(); names.pop(); }
        continue;
      }
      const last = queue.every((p) => p === "" || p === ".");
      const dir = chain[chain.length - 1]!;
      const entry = dir.lookup(part);
      const at = here() === "/" ? `/${part}` : `${here()}/${part}`;
      if (!entry) {
        if (last) return { chain, names, name: part, entry: undefined, release };
        throw new ResolveError("missing", at);
      }
      if (entry.stat.isSymbolicLink() && (!last || opts.followLast)) {
        if (++links > MAX_SYMLINKS) throw new ResolveError("loop", at);
        const target = entry.dir.readlink(part);
        if (target.startsWith("/")) {
          for (const d of chain.splice(1)) d.close();
          names.length = 0;
        }
        queue.unshift(...target.split("/"));
        continue;
      }
      if (last) return { chain, names, name: part, entry, release };
      if (!entry.stat.isDirectory()) throw new ResolveError("not-a-directory", at);
      chain.push(dir.openChild(part));
      names.push(part);
    }
    // Ended on a directory reached through `..` or `.` (or the root): name it from its parent.
    if (chain.length === 1) return { chain, names, name: undefined, entry: undefined, release };
    chain.pop()!.close();
    const name = names.pop()!;
    return { chain, names, name, entry: chain[chain.length - 1]!.lookup(name), release };
  } catch (err) {
    release();
    throw err;
  }
}
