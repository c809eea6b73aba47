/**
 * The container's side of diff, commit, export and cp: it runs where the
 * container's files may be read and written with their owners (rr itself
 * as root; rootless, rr's helper inside the user namespace, or inside the
 * running container's own one) and answers one request over a FrameChannel:
 *
 *   changes  → {changes}
 *   layer    → tar (the commit layer) → {ok}
 *   export   → tar (the whole root) → {ok}
 *   archive  → {source} → tar of one path (cp out) → {ok}
 *   extract  → {ready} ← tar from rr (cp in) → {ok}
 *
 * Any failure is sent as {error} in place of the next message.
 */
import { NotFoundError, RrError, UsageError } from "../../errors.ts";
import { processStartTime } from "../../store/container-store.ts";
import { copyChanges, overlayChanges } from "./changes.ts";
import { assertsDirectory, planCopy, sourceTop, type CopySource } from "./cp-plan.ts";
import { DirFd, errnoCode } from "./dir-fd.ts";
import type { FrameChannel } from "./frame-channel.ts";
import { LayeredDir } from "./layered-dir.ts";
import { writeLayer } from "./layer-tar.ts";
import { resolveInRoot, ResolveError, type Resolved } from "./resolve-path.ts";
import { PlainTarget, UpperTarget, type TargetDir } from "./targets.ts";
import { extractTar } from "./tree-extract.ts";
import { PendingSink, TreeTar } from "./tree-tar.ts";
import type { ViewSpec } from "./view-spec.ts";

export type FsOp =
  | { op: "changes" }
  | { op: "layer" }
  | { op: "export" }
  | { op: "archive"; path: string; follow: boolean }
  | { op: "extract"; path: string; source?: CopySource; owner: "root" | "keep" };

export interface FsRequest {
  spec: ViewSpec;
  op: FsOp;
}

export async function serveRequest(req: FsRequest, ch: FrameChannel): Promise<void> {
  try {
    await dispatch(req, ch);
  } catch (err) {
    await ch.sendError(err).catch(() => {}); // rr is gone: nobody left to tell
  }
}

async function dispatch({ spec, op }: FsRequest, ch: FrameChannel): Promise<void> {
  switch (op.op) {
    case "changes": return ch.sendJson({ changes: computeChanges(spec) });
    case "layer": {
      const changes = computeChanges(spec);
      const view = openContent(spec);
      try {
        await writeLayer(view, changes, new TreeTar(dataSink(ch)));
      } finally {
        view.close();
      }
      await ch.sendEnd();
      return ch.sendJson({ ok: true });
    }
    case "export": {
      const view = openContent(spec);
      try {
        const tar = new TreeTar(dataSink(ch));
        await tar.addChildren(view, "");
        await tar.finish();
      } finally {
        view.close();
      }
      await ch.sendEnd();
      return ch.sendJson({ ok: true });
    }
    case "archive": return archive(spec, op, ch);
    case "extract": return extract(spec, op, ch);
  }
}

function dataSink(ch: FrameChannel): PendingSink {
  return new PendingSink((bytes) => ch.sendData(bytes));
}

function computeChanges(spec: ViewSpec) {
  const lowers = openLayers(spec, spec.lowers.map((path) => ({ path })));
  try {
    if (spec.rootfs !== undefined) {
      const root = DirFd.open(spec.rootfs);
      try { return copyChanges(root, lowers); } finally { root.close(); }
    }
    const upper = DirFd.open(spec.upper!);
    try { return overlayChanges(upper, lowers, !!spec.whiteoutFiles); } finally { upper.close(); }
  } finally {
    lowers.close();
  }
}

/** The container's files as they are stored (no mounts): its own layer over the image's. */
function openContent(spec: ViewSpec): LayeredDir {
  if (spec.rootfs !== undefined) return openLayers(spec, [{ path: spec.rootfs }]);
  return openLayers(spec, [{ path: spec.upper!, whiteoutFiles: spec.whiteoutFiles }, ...spec.lowers.map((path) => ({ path }))]);
}

/** What `cp` works on: a running container's own root (its mounts included), else the stored files. */
function openForCopy(spec: ViewSpec): LayeredDir {
  if (!spec.live) return openContent(spec);
  const { pid, start } = spec.live;
  const view = openLayers(spec, [{ path: `/proc/${pid}/root` }]);
  // Opened first, checked after: if the pid was reused in between, its start time tells.
  if (start !== undefined && processStartTime(pid) !== start) {
    view.close();
    throw new RrError(`container ${spec.name} stopped while rr was opening its files`, { hint: "Run the command again." });
  }
  return view;
}

function openLayers(spec: ViewSpec, roots: { path: string; whiteoutFiles?: boolean }[]): LayeredDir {
  try {
    return LayeredDir.open(roots);
  } catch (err) {
    if (errnoCode(err) === "ENOENT") {
      throw new RrError(`the files of container ${spec.name} are incomplete: ${(err as NodeJS.ErrnoException).path ?? ""} is missing`, {
        hint: "Its image layers may have been removed (rr rmi -f); remove the container.",
      });
    }
    throw new RrError(`cannot open the files of container ${spec.name}`, { cause: err });
  }
}

function notFound(spec: ViewSpec, path: string): NotFoundError {
  return new NotFoundError(`Could not find the file ${path} in container ${spec.name}`);
}

function resolve(spec: ViewSpec, view: LayeredDir, path: string, followLast: boolean): Resolved {
  try {
    return resolveInRoot(view, path, { followLast });
  } catch (err) {
    if (err instanceof ResolveError) throw err.reason === "loop" ? new RrError(`${spec.name}:${path}: too many levels of symbolic links`) : notFound(spec, path);
    throw err;
  }
}

async function archive(spec: ViewSpec, op: { path: string; follow: boolean }, ch: FrameChannel): Promise<void> {
  const view = openForCopy(spec);
  try {
    const wantsDir = assertsDirectory(op.path);
    const r = resolve(spec, view, op.path, op.follow || wantsDir);
    try {
      if (r.name !== undefined && !r.entry) throw notFound(spec, op.path);
      const isDir = r.entry ? r.entry.stat.isDirectory() : true;
      if (wantsDir && !isDir) throw new UsageError(`${spec.name}:${op.path}: not a directory`);
      const source: CopySource = { isDir, top: sourceTop(op.path) };
      await ch.sendJson({ source });
      const tar = new TreeTar(dataSink(ch));
      const parent = r.chain[r.chain.length - 1]!;
      if (source.top === ".") {
        const dir = r.name === undefined ? parent : parent.openChild(r.name);
        try {
          await tar.addDirEntry(".", dir.layers[0]!.dir.stat());
          await tar.addChildren(dir, source.top);
        } finally {
          if (dir !== parent) dir.close();
        }
      } else {
        await tar.addTree(parent, r.entry!, source.top);
      }
      await tar.finish();
    } finally {
      r.release();
    }
  } finally {
    view.close();
  }
  await ch.sendEnd();
  await ch.sendJson({ ok: true });
}

async function extract(spec: ViewSpec, op: { path: string; source?: CopySource; owner: "root" | "keep" }, ch: FrameChannel): Promise<void> {
  const view = openForCopy(spec);
  const label = `${spec.name}:${op.path}`;
  const opened: TargetDir[] = [];
  try {
    const r = resolve(spec, view, op.path, true);
    try {
      const isRoot = r.name === undefined;
      if (!isRoot && !r.entry && !op.source) throw notFound(spec, op.path);
      const exists = isRoot || !!r.entry;
      const isDir = isRoot || !!r.entry?.stat.isDirectory();
      if (!op.source && !isDir) throw new UsageError(`destination "${label}" must be a directory`);
      const plan = op.source
        ? planCopy(op.source, { exists, isDir, assertsDir: assertsDirectory(op.path), label: `"${label}"` }, r.name ?? "")
        : { into: "dest" as const };
      const parent = targetFor(spec, r);
      const target = plan.into === "dest" && !isRoot ? parent.child(r.name!) : parent;
      if (target !== parent) opened.push(target);
      await ch.sendJson({ ready: true });
      const stream = ch.dataStream();
      const stats = await extractTar(target, stream.source, {
        owner: op.owner,
        rename: plan.into === "parent" && op.source ? { from: op.source.top, to: plan.rename } : undefined,
        label: plan.into === "dest" ? op.path : op.path.replace(/\/[^/]*\/?$/, "") || "/",
      });
      await stream.drain();
      await ch.sendJson({ ok: true, stats });
    } finally {
      for (const t of opened.reverse()) t.close();
      r.release();
    }
  } finally {
    view.close();
  }
}

/** The TargetDir for the directory a resolution ended in: plain, or the overlay upper with copy-up. */
function targetFor(spec: ViewSpec, r: Resolved): TargetDir {
  if (spec.live || spec.rootfs !== undefined) return new PlainTarget(r.chain[r.chain.length - 1]!.layers[0]!.dir, false);
  // The chain's directories belong to the resolution: these targets only borrow them.
  const wf = !!spec.whiteoutFiles;
  let t = new UpperTarget(r.chain[0]!, wf);
  for (let i = 1; i < r.chain.length; i++) t = new UpperTarget(r.chain[i]!, wf, t, r.names[i - 1]);
  return t;
}
