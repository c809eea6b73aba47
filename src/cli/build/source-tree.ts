/**
 * What a COPY or ADD step copies, whatever it comes from (the build
 * context, a heredoc, another image, a local archive, a URL): one tree per
 * source, and Docker's rules for where each tree lands under the
 * destination. The result is the entries of the step's layer tar, plus a
 * hash of exactly what they hold (names, types, modes, owners, link
 * targets, contents, xattrs — never mtimes): what the build cache keys on.
 */
import { createHash } from "node:crypto";
import { posix } from "node:path";
import type { TarSpec } from "../../image/tar-writer.ts";
import { RrError } from "../../errors.ts";

export type ItemType = "file" | "dir" | "symlink" | "hardlink" | "char" | "block" | "fifo";

export interface TreeItem {
  /** The path below the source; "" is the source itself. */
  rel: string;
  type: ItemType;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  data?: Uint8Array;
  /** A symlink's target; for a hard link, the `rel` of the item it links to. */
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: Record<string, Uint8Array>;
}

export interface SourceTree {
  /** The name a non-directory source takes in a directory destination. */
  name: string;
  /** The source first (rel ""); a directory's contents after it, parents before children. */
  items: TreeItem[];
}

export interface DirMeta {
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
}

export interface Placement {
  /** Absolute destination, already resolved inside the image. */
  dest: string;
  /** Non-directory sources go to dest/NAME rather than to dest. */
  destIsDir: boolean;
  /** --chown: the owner of everything copied; without it items keep their own (0:0 from the context). */
  owner?: { uid: number; gid: number };
  /** --chmod: the mode of everything copied. */
  chmod?: number;
  /**
   * The image's directories on the way to dest, as they are: the layer
   * repeats them, since overlayfs takes a directory's owner and mode from
   * the top-most layer that has it.
   */
  imageDirs: Map<string, DirMeta>;
  /** The owner of the directories this step creates. */
  createdOwner: { uid: number; gid: number };
}

const WHITEOUT_PREFIX = ".wh.";

/** The layer entries for these trees at `p.dest`, and the hash the cache keys on. */
export function placeTrees(trees: SourceTree[], p: Placement): { entries: TarSpec[]; hash: string } {
  const entries: TarSpec[] = [];
  const hash = createHash("sha256");
  const dirsDone = new Set<string>();
  const dest = posix.normalize(p.dest);

  const ensureDir = (abs: string) => {
    if (abs === "/" || dirsDone.has(abs)) return;
    dirsDone.add(abs);
    const meta = p.imageDirs.get(abs) ?? { mode: 0o755, ...p.createdOwner, mtime: 0 };
    entries.push({ type: "dir", path: abs.slice(1), mode: meta.mode, uid: meta.uid, gid: meta.gid, mtime: meta.mtime });
  };
  const ensureParents = (abs: string) => {
    const parts = abs.split("/").filter(Boolean);
    for (let i = 1; i < parts.length; i++) ensureDir("/" + parts.slice(0, i).join("/"));
  };

  for (const tree of trees) {
    const root = tree.items[0];
    if (!root) continue;
    const base = root.type === "dir" ? dest : p.destIsDir ? posix.join(dest, tree.name) : dest;
    const placed = (rel: string) => (rel === "" ? base : posix.join(base, rel));
    ensureParents(base);
    for (const item of tree.items) {
      const abs = placed(item.rel);
      if (abs === "/") continue; // a directory's contents copied to `/`: the root itself stays as it is
      if (item.rel === "" && item.type === "dir" && p.imageDirs.has(abs)) {
        ensureDir(abs); // copying into an existing directory leaves that directory alone
        continue;
      }
      if (posix.basename(abs).startsWith(WHITEOUT_PREFIX)) {
        throw new RrError(`cannot copy "${abs}": names starting with ${WHITEOUT_PREFIX} mark deletions in image layers`);
      }
      const spec = entryFor(item, abs.slice(1), p, (rel) => placed(rel).slice(1));
      entries.push(spec);
      hash.update(hashLine(spec));
      if (item.type === "dir") dirsDone.add(abs);
    }
  }
  return { entries, hash: hash.digest("hex") };
}

function entryFor(item: TreeItem, path: string, p: Placement, linkPath: (rel: string) => string): TarSpec {
  const uid = p.owner?.uid ?? item.uid;
  const gid = p.owner?.gid ?? item.gid;
  const meta = { uid, gid, mode: item.type === "symlink" ? 0o777 : p.chmod ?? item.mode, mtime: item.mtime, xattrs: item.xattrs };
  switch (item.type) {
    case "file": return { ...meta, type: "file", path, data: item.data ?? new Uint8Array(0) };
    case "dir": return { ...meta, type: "dir", path };
    case "symlink": return { ...meta, type: "symlink", path, linkname: item.linkname ?? "" };
    case "hardlink": return { ...meta, type: "hardlink", path, linkname: linkPath(item.linkname ?? "") };
    case "char": case "block": return { ...meta, type: item.type, path, devmajor: item.devmajor ?? 0, devminor: item.devminor ?? 0 };
    case "fifo": return { ...meta, type: "fifo", path };
  }
}

function hashLine(e: TarSpec): string {
  let extra = "";
  if (e.type === "file") extra = createHash("sha256").update(e.data ?? "").digest("hex");
  else if (e.type === "symlink" || e.type === "hardlink") extra = JSON.stringify(e.linkname);
  else if (e.type === "char" || e.type === "block") extra = `${e.devmajor},${e.devminor}`;
  const xattrs = Object.entries(e.xattrs ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => ` ${k}=${Buffer.from(v).toString("hex")}`).join("");
  return `${e.type} ${JSON.stringify(e.path)} ${(e.mode ?? 0).toString(8)} ${e.uid}:${e.gid} ${extra}${xattrs}\n`;
}
