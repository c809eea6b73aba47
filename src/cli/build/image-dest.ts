/**
 * Where a COPY/ADD destination is in the image the step starts from, found
 * the way the container would see it: symlinks along the path (`/lib ->
 * usr/lib`) are followed inside the image's root, never on the host, so a
 * copy to /lib/x lands in /usr/lib/x instead of hiding the link under a new
 * directory. Also returns the image's directories on the way (owner and
 * mode as the container sees them) for the layer to repeat.
 */
import { closeSync, readFileSync, type Stats } from "node:fs";
import { posix } from "node:path";
import type { IdMap, Identity } from "../../runtime/identity.ts";
import { LayeredDir } from "../../runtime/container-fs/layered-dir.ts";
import { resolveInRoot } from "../../runtime/container-fs/resolve-path.ts";
import { RrError } from "../../errors.ts";
import type { DirMeta } from "./source-tree.ts";

export interface ImageDest {
  /** The destination with the image's symlinks followed, absolute and normalized. */
  path: string;
  /** What is there now; undefined when it does not exist yet. */
  type?: "dir" | "file" | "other";
  /** The image's directories from / down to path (path included when it is one). */
  dirs: Map<string, DirMeta>;
}

const MAX_SYMLINKS = 40;

/** A host id as the container sees it (rootless stores hold files of mapped ids). */
export function containerId(hostId: number, map: IdMap[]): number {
  if (!map.length) return hostId;
  for (const m of map) if (hostId >= m.hostId && hostId < m.hostId + m.size) return m.containerId + hostId - m.hostId;
  return 65534; // unmapped: what the kernel shows as the overflow id
}

function metaOf(st: Stats, identity: Identity): DirMeta {
  return {
    mode: st.mode & 0o7777,
    uid: containerId(st.uid, identity.uidMap),
    gid: containerId(st.gid, identity.gidMap),
    mtime: Math.floor(st.mtimeMs / 1000),
  };
}

/** `layers`: the image's layer directories, top first. */
export function resolveImageDest(layers: string[], dest: string, identity: Identity): ImageDest {
  const dirs = new Map<string, DirMeta>();
  if (!layers.length) return { path: posix.normalize(dest), type: dest === "/" ? "dir" : undefined, dirs };
  const root = LayeredDir.open(layers.map((path) => ({ path })));
  const chain: LayeredDir[] = [root];
  const names: string[] = [];
  const here = () => "/" + names.join("/");
  const queue = dest.split("/");
  let links = 0;
  try {
    while (queue.length) {
      const part = queue.shift()!;
      if (part === "" || part === ".") continue;
      if (part === "..") {
        if (chain.length > 1) { chain.pop()!.close(); names.pop(); }
        continue;
      }
      const rest = () => queue.filter((q) => q !== "" && q !== ".");
      let entry;
      try {
        entry = chain[chain.length - 1]!.lookup(part);
      } catch {
        entry = undefined; // unreadable here (another id's private directory): taken literally from here on
      }
      if (!entry) {
        return { path: posix.normalize(posix.join(here(), part, ...queue)), dirs };
      }
      if (entry.stat.isSymbolicLink()) {
        if (++links > MAX_SYMLINKS) throw new RrError(`${dest}: too many levels of symbolic links in the image`);
        const target = entry.dir.readlink(part);
        if (target.startsWith("/")) {
          for (const d of chain.splice(1)) d.close();
          names.length = 0;
        }
        queue.unshift(...target.split("/"));
        continue;
      }
      names.push(part);
      if (!entry.stat.isDirectory()) {
        if (rest().length) throw new RrError(`cannot copy to ${dest}: ${here()} is not a directory in the image`);
        return { path: here(), type: entry.stat.isFile() ? "file" : "other", dirs };
      }
      dirs.set(here(), metaOf(entry.stat, identity));
      try {
        chain.push(chain[chain.length - 1]!.openChild(part));
      } catch {
        return { path: posix.normalize(posix.join(here(), ...queue)), type: rest().length ? undefined : "dir", dirs };
      }
    }
    return { path: here(), type: "dir", dirs };
  } finally {
    for (const d of chain.splice(1)) d.close();
    root.close();
  }
}

/**
 * A text file of the image (/etc/passwd for --chown), its path resolved
 * inside the image: an /etc that is a symlink to a host path leads nowhere.
 */
export function readImageText(layers: string[], path: string): string | undefined {
  if (!layers.length) return undefined;
  const root = LayeredDir.open(layers.map((p) => ({ path: p })));
  try {
    const r = resolveInRoot(root, path, { followLast: true });
    try {
      const opened = r.entry ? r.entry.dir.openRead(r.entry.name) : undefined;
      if (!opened) return undefined;
      try { return readFileSync(opened.fd, "utf8"); } finally { closeSync(opened.fd); }
    } finally {
      r.release();
    }
  } catch {
    return undefined; // missing, or not readable from here: no names to look up
  } finally {
    root.close();
  }
}
