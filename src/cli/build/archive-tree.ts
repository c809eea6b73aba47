/**
 * ADD of a local tar archive: its entries as a tree that lands in the
 * destination directory, with Docker's breakout checks (pkg/archive): a
 * name that climbs out of the destination (`../x`), a symlink whose
 * relative target does, a hard link to anything but an earlier entry, and
 * (stricter than Docker, as rr's layer extractor is) any entry written
 * through a symlink or a non-directory the archive made are refused, so
 * nothing of it can land outside the destination. Leading `/` and `./`
 * are dropped, as Docker does. Owners are kept as the archive has them.
 */
import { posix } from "node:path";
import { readTar, type TarEntry } from "../../image/tar-reader.ts";
import { concat } from "../../image/tar-writer.ts";
import { RrError } from "../../errors.ts";
import type { SourceTree, TreeItem } from "./source-tree.ts";

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** `label` names the archive in errors (`ADD failed: archive "x.tar": …`). */
export async function archiveTree(tar: Uint8Array, name: string, label: string): Promise<SourceTree> {
  const fail = (e: TarEntry, why: string) => new RrError(`${label}: entry ${JSON.stringify(e.path)} ${why}`, {
    hint: "rr extracts an ADDed archive only inside the destination directory; fix the archive.",
  });
  const items = new Map<string, TreeItem>();
  for await (const { entry, body } of readTar(once(tar))) {
    const rel = cleanName(entry.path);
    if (rel === undefined) throw fail(entry, "points outside the destination directory");
    if (rel === "") continue; // `./`: the destination itself stays as it is
    checkParents(items, rel, entry, fail);
    const item: TreeItem = { rel, type: entry.type, mode: entry.mode, uid: entry.uid, gid: entry.gid, mtime: Math.floor(entry.mtime) };
    if (Object.keys(entry.xattrs).length) item.xattrs = entry.xattrs;
    switch (entry.type) {
      case "file": {
        const chunks: Uint8Array[] = [];
        for await (const c of body) chunks.push(c.slice());
        item.data = concat(chunks);
        break;
      }
      case "symlink":
        if (!entry.linkname.startsWith("/") && escapes(posix.join(posix.dirname(rel), entry.linkname))) {
          throw fail(entry, `is a symlink to ${JSON.stringify(entry.linkname)}, outside the destination directory`);
        }
        item.linkname = entry.linkname;
        break;
      case "hardlink": {
        const target = cleanName(entry.linkname);
        const t = target === undefined ? undefined : items.get(target);
        if (!t || t.type === "dir") throw fail(entry, `is a hard link to ${JSON.stringify(entry.linkname)}, which is not a file of the archive`);
        item.linkname = t.type === "hardlink" ? t.linkname : target;
        break;
      }
      case "char": case "block":
        item.devmajor = entry.devmajor;
        item.devminor = entry.devminor;
        break;
    }
    const before = items.get(rel);
    if (before && !(before.type === "dir" && item.type === "dir")) {
      // a later entry replaces an earlier one, and whatever was below it
      for (const k of items.keys()) if (k.startsWith(`${rel}/`)) items.delete(k);
    }
    items.delete(rel);
    items.set(rel, item);
  }
  const root: TreeItem = { rel: "", type: "dir", mode: 0o755, uid: 0, gid: 0, mtime: 0 };
  return { name, items: [root, ...items.values()] };
}

/** The name relative to the destination; undefined when it climbs out of it. */
function cleanName(name: string): string | undefined {
  const norm = posix.normalize(`/${name}`); // a leading `/` is dropped, as Docker joins names to the destination
  const rel = norm.replace(/^\/+/, "").replace(/\/+$/, "");
  if (rel === "." || rel === "") return "";
  // normalize of an absolute path cannot climb above `/`, so compare with the plain reading
  return escapes(name.replace(/^\/+/, "")) ? undefined : rel;
}

/** Whether a relative path, read lexically, climbs above where it starts. */
function escapes(rel: string): boolean {
  let depth = 0;
  for (const p of rel.split("/")) {
    if (p === "" || p === ".") continue;
    depth += p === ".." ? -1 : 1;
    if (depth < 0) return true;
  }
  return false;
}

function checkParents(items: Map<string, TreeItem>, rel: string, entry: TarEntry, fail: (e: TarEntry, why: string) => RrError): void {
  const parts = rel.split("/");
  for (let i = 1; i < parts.length; i++) {
    const p = parts.slice(0, i).join("/");
    const t = items.get(p)?.type;
    if (t === undefined || t === "dir") continue;
    if (t === "symlink") throw fail(entry, `would be written through the symlink ${JSON.stringify(p)} of the archive`);
    throw fail(entry, `is below ${JSON.stringify(p)}, which is not a directory`);
  }
}
