/**
 * `COPY --from=STAGE|IMAGE`: source trees read out of an image's unpacked
 * layers. Paths resolve inside that image (a symlink, even `/evil -> /`,
 * leads to the image's own root, never the host's), the source itself is
 * followed when it is a symlink (as Docker does), and owners are kept as
 * the image has them. The files are read by the container-fs server
 * (runtime/container-fs/serve.ts): as root in this process, rootless in
 * rr's helper inside the user namespace, where files of subordinate ids are
 * readable whatever their modes. Wildcards are expanded here, over names
 * only (listing a directory needs no more than the layers' own modes).
 */
import { posix } from "node:path";
import type { Identity } from "../../runtime/identity.ts";
import { withContainerFs } from "../../runtime/container-fs/runner.ts";
import type { CopySource } from "../../runtime/container-fs/cp-plan.ts";
import { LayeredDir } from "../../runtime/container-fs/layered-dir.ts";
import { resolveInRoot, resolvedPath } from "../../runtime/container-fs/resolve-path.ts";
import type { ViewSpec } from "../../runtime/container-fs/view-spec.ts";
import { readTar, type TarEntry } from "../../image/tar-reader.ts";
import { concat } from "../../image/tar-writer.ts";
import { NotFoundError, RrError } from "../../errors.ts";
import { globRegex, hasGlob } from "./context-files.ts";
import type { SourceTree, TreeItem } from "./source-tree.ts";

export interface ImageSource {
  /** For messages: `stage "build"`, `image "alpine:3.20"`. */
  label: string;
  /** The image's layer directories, top first. */
  layers: string[];
}

/** The trees COPY --from copies for these source patterns (absolute in the image; relative ones start at /). */
export async function imageTrees(identity: Identity, src: ImageSource, patterns: string[], instruction: string): Promise<SourceTree[]> {
  const trees: SourceTree[] = [];
  for (const raw of patterns) {
    const path = posix.join("/", raw);
    const keepDot = raw.endsWith("/.") || raw === ".";
    if (!hasGlob(path)) {
      trees.push(await readTree(identity, src, keepDot ? `${path}/.` : path, raw, instruction));
      continue;
    }
    const hits = expandGlob(src, path);
    if (!hits.length) {
      throw new RrError(`${instruction} failed: no source files were specified`, { hint: `Nothing in ${src.label} matches "${raw}".` });
    }
    for (const hit of hits) trees.push(await readTree(identity, src, hit, raw, instruction));
  }
  return trees;
}

function notFound(src: ImageSource, raw: string, instruction: string): RrError {
  return new NotFoundError(`${instruction} failed: "${raw}" not found in ${src.label}`, {
    hint: "COPY --from paths are absolute in the source image; check the path and the stage or image it names.",
  });
}

/** The tree at PATH of the image, asked of the container-fs server. */
async function readTree(identity: Identity, src: ImageSource, path: string, raw: string, instruction: string): Promise<SourceTree> {
  if (!src.layers.length) {
    // an image without layers (FROM scratch) holds nothing but its root
    if (posix.normalize(path) !== "/") throw notFound(src, raw, instruction);
    return { name: ".", items: [{ rel: "", type: "dir", mode: 0o755, uid: 0, gid: 0, mtime: 0 }] };
  }
  const spec: ViewSpec = { name: src.label, upper: src.layers[0], lowers: src.layers.slice(1) };
  try {
    return await withContainerFs(identity, { spec, op: { op: "archive", path, follow: true } }, async (ch) => {
      const { source } = await ch.json<{ source: CopySource }>();
      const stream = ch.dataStream();
      const items: TreeItem[] = [];
      for await (const { entry, body } of readTar(stream.source)) {
        const rel = relOf(entry.path, source.top);
        if (rel === undefined) continue;
        items.push(await itemOf(entry, rel, body, source.top));
      }
      await stream.drain();
      await ch.json();
      if (items[0]?.rel !== "") throw new RrError(`${instruction} failed: reading "${raw}" from ${src.label} gave an unexpected archive`);
      return { name: source.top, items };
    });
  } catch (err) {
    if (err instanceof NotFoundError) throw notFound(src, raw, instruction);
    if (err instanceof RrError && /not a directory|too many levels/.test(err.message)) {
      throw new RrError(`${instruction} failed: "${raw}" in ${src.label}: ${err.message.replace(/^.*?: /, "")}`);
    }
    throw err;
  }
}

/** An archive name below the top entry `top` (`.` for a directory's contents), or undefined for anything else. */
function relOf(name: string, top: string): string | undefined {
  const clean = name.replace(/^(\.\/)+/, "").replace(/\/+$/, "");
  if (top === ".") return clean === "." ? "" : clean;
  if (clean === top) return "";
  return clean.startsWith(`${top}/`) ? clean.slice(top.length + 1) : undefined;
}

async function itemOf(e: TarEntry, rel: string, body: AsyncIterable<Uint8Array>, top: string): Promise<TreeItem> {
  const item: TreeItem = { rel, type: e.type, mode: e.mode, uid: e.uid, gid: e.gid, mtime: Math.floor(e.mtime) };
  if (Object.keys(e.xattrs).length) item.xattrs = e.xattrs;
  if (e.type === "file") {
    const chunks: Uint8Array[] = [];
    for await (const c of body) chunks.push(c.slice());
    item.data = concat(chunks);
  } else if (e.type === "symlink") item.linkname = e.linkname;
  else if (e.type === "hardlink") item.linkname = relOf(e.linkname, top) ?? "";
  else if (e.type === "char" || e.type === "block") { item.devmajor = e.devmajor; item.devminor = e.devminor; }
  return item;
}

/** The canonical paths in the image a wildcard pattern matches, sorted; components match one at a time. */
function expandGlob(src: ImageSource, pattern: string): string[] {
  if (!src.layers.length) return [];
  const parts = pattern.split("/").filter(Boolean);
  const first = parts.findIndex(hasGlob);
  const view = LayeredDir.open(src.layers.map((path) => ({ path })));
  try {
    const prefix = "/" + parts.slice(0, first).join("/");
    let start: { dir: LayeredDir; path: string; owned: boolean };
    try {
      const r = resolveInRoot(view, prefix, { followLast: true });
      if (r.name === undefined) start = { dir: r.chain[r.chain.length - 1]!, path: "/", owned: false };
      else {
        try {
          if (!r.entry?.stat.isDirectory()) return [];
          start = { dir: r.chain[r.chain.length - 1]!.openChild(r.name), path: resolvedPath(r), owned: true };
        } finally {
          r.release();
        }
      }
    } catch {
      return [];
    }
    const hits: string[] = [];
    const visit = (dir: LayeredDir, at: string, i: number) => {
      const re = hasGlob(parts[i]!) ? globRegex(parts[i]!) : undefined;
      const last = i === parts.length - 1;
      for (const name of dir.names()) {
        if (re ? !re.test(name) : name !== parts[i]) continue;
        const path = posix.join(at, name);
        if (last) { hits.push(path); continue; }
        const e = dir.lookup(name);
        if (!e?.stat.isDirectory()) continue;
        const child = dir.openChild(name);
        try { visit(child, path, i + 1); } finally { child.close(); }
      }
    };
    try {
      visit(start.dir, start.path, first);
    } catch (err) {
      throw new RrError(`cannot list the files of ${src.label} for "${pattern}"`, { cause: err, hint: "A directory on the way may be readable only by its owner; name the files without wildcards." });
    } finally {
      if (start.owned) start.dir.close();
    }
    return hits.sort();
  } finally {
    view.close();
  }
}
