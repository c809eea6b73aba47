/**
 * The host's half of `rr cp`: turning a host path into the tar that goes
 * into a container, and extracting what comes out of one into a host path,
 * as the user who runs rr (Docker's CLI: NoLchown, so copied files belong
 * to whoever copies them). Host paths are the user's own: symlinks in them
 * are followed as the shell would, and only the final component follows
 * Docker's rules (-L for a source, always for a destination).
 */
import { lstatSync, readlinkSync, realpathSync, statSync, type Stats } from "node:fs";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { RrError } from "../../errors.ts";
import { assertsDirectory, planCopy, sourceTop, type CopySource } from "./cp-plan.ts";
import { DirFd, errnoCode, plainCause } from "./dir-fd.ts";
import { LayeredDir } from "./layered-dir.ts";
import { PlainTarget } from "./targets.ts";
import { extractTar } from "./tree-extract.ts";
import { PendingSink, TreeTar } from "./tree-tar.ts";

export interface HostSource extends CopySource {
  /** The directory holding the source, and its name there (undefined: the directory itself, for `SRC/.`). */
  dir: string;
  name?: string;
}

function fail(path: string, err: unknown, what = "cannot copy"): never {
  const code = errnoCode(err);
  if (code === "ENOENT") throw new RrError(`${what} "${path}": no such file or directory`);
  if (code === "ENOTDIR") throw new RrError(`${what} "${path}": not a directory`);
  throw new RrError(`${what} "${path}"`, { cause: plainCause(err) });
}

export function hostSource(path: string, follow: boolean): HostSource {
  const top = sourceTop(path);
  const abs = resolve(path);
  let st: Stats;
  try {
    st = follow || assertsDirectory(path) ? statSync(abs) : lstatSync(abs);
  } catch (err) {
    fail(path, err);
  }
  if (assertsDirectory(path) && !st.isDirectory()) fail(path, Object.assign(new Error(), { code: "ENOTDIR" }));
  if (top === ".") return { isDir: true, top, dir: abs };
  // With -L the target is copied under the link's name (Docker's rebase).
  const real = follow ? realpathSync(abs) : abs;
  return { isDir: st.isDirectory(), top, dir: dirname(real), name: basename(real) };
}

export async function writeHostSource(src: HostSource, deliver: (bytes: Uint8Array) => Promise<void>): Promise<void> {
  const tar = new TreeTar(new PendingSink(deliver));
  const label = src.name === undefined ? src.dir : join(src.dir, src.name);
  let view: LayeredDir;
  try {
    view = LayeredDir.open([{ path: src.dir }]);
  } catch (err) {
    fail(label, err);
  }
  try {
    if (src.name === undefined) {
      await tar.addDirEntry(".", view.layers[0]!.dir.stat());
      await tar.addChildren(view, ".");
    } else {
      const entry = view.lookup(src.name);
      if (!entry) fail(label, Object.assign(new Error(), { code: "ENOENT" }));
      await tar.addTree(view, entry, src.top);
    }
    await tar.finish();
  } catch (err) {
    if (err instanceof RrError) throw new RrError(`cannot copy "${label}"`, { cause: err });
    fail(label, err);
  } finally {
    view.close();
  }
}

/** Where a host destination is (its final symlinks followed, as Docker's CopyInfoDestinationPath). */
function hostDestination(path: string): { path: string; exists: boolean; isDir: boolean } {
  let p = resolve(path);
  for (let n = 0; ; n++) {
    let st: Stats;
    try {
      st = lstatSync(path.endsWith("/") ? `${p}/` : p);
    } catch (err) {
      if (errnoCode(err) !== "ENOENT") fail(path, err, "cannot copy to");
      const parent = dirname(p);
      let pst: Stats;
      try {
        pst = statSync(parent);
      } catch (e) {
        if (errnoCode(e) === "ENOENT") throw new RrError(`cannot copy to "${path}": the directory "${parent}" does not exist`);
        throw new RrError(`cannot copy to "${path}"`, { cause: plainCause(e) });
      }
      if (!pst.isDirectory()) throw new RrError(`cannot copy to "${path}": "${parent}" is not a directory`);
      return { path: p, exists: false, isDir: false };
    }
    if (!st.isSymbolicLink()) return { path: p, exists: true, isDir: st.isDirectory() };
    if (n >= 10) throw new RrError(`cannot copy to "${path}": too many symbolic links`);
    const target = readlinkSync(p);
    p = isAbsolute(target) ? target : join(dirname(p), target);
  }
}

/** Extracts a container's tar (its top entry named `source.top`) at a host path by `docker cp`'s rules. */
export async function extractToHost(dest: string, source: CopySource, stream: AsyncIterable<Uint8Array>): Promise<void> {
  const d = hostDestination(dest);
  const plan = planCopy(source, { exists: d.exists, isDir: d.isDir, assertsDir: assertsDirectory(dest), label: `"${dest}"` }, basename(d.path));
  const dirPath = plan.into === "dest" ? d.path : dirname(d.path);
  let dir: DirFd;
  try {
    dir = DirFd.open(dirPath);
  } catch (err) {
    throw new RrError(`cannot copy to "${dest}"`, { cause: plainCause(err) });
  }
  const target = new PlainTarget(dir);
  try {
    await extractTar(target, stream, {
      owner: "none",
      rename: plan.into === "parent" ? { from: source.top, to: plan.rename } : undefined,
      label: plan.into === "dest" ? dest : dirname(dest),
    });
  } finally {
    target.close();
  }
}
