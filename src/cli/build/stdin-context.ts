/**
 * `rr build - < Dockerfile` and `rr build - < context.tar[.gz|.bz2|.xz|.zst]`:
 * as Docker does, the content decides. A tar archive (maybe compressed) is
 * the build context, extracted into a private temporary directory of the
 * store; anything else is a Dockerfile with an empty context. The
 * extraction refuses names that leave the directory (`..`), and never
 * writes through a symlink or hard-links outside what it extracted; owners
 * are not kept (a context's owners do not matter: COPY makes files 0:0).
 */
import { chmodSync, lstatSync, linkSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join, posix } from "node:path";
import { readTar } from "../../image/tar-reader.ts";
import { concat } from "../../image/tar-writer.ts";
import { RrError, UsageError } from "../../errors.ts";
import { compressionOf, tarInside } from "./archive-bytes.ts";

export interface StdinContext {
  /** The context directory: the extracted archive, or an empty directory. */
  dir: string;
  /** The Dockerfile when stdin was one. */
  dockerfile?: string;
  /** Removes the temporary directory. */
  remove(): void;
}

const LABEL = "the build context on stdin";

export async function contextFromStdin(bytes: Uint8Array, tmpRoot: string): Promise<StdinContext> {
  const tar = await tarInside(bytes, LABEL);
  if (!tar && compressionOf(bytes) !== "none") {
    throw new UsageError(`${LABEL} is compressed but is not a tar archive`, { hint: "Pipe a Dockerfile, or a tar of the context (gzip, bzip2, xz or zstd)." });
  }
  mkdirSync(tmpRoot, { recursive: true, mode: 0o700 });
  const dir = mkdtempSync(join(tmpRoot, "build-context-"));
  const remove = () => removeTree(dir);
  try {
    if (!tar) return { dir, dockerfile: Buffer.from(bytes).toString("utf8"), remove };
    await extractContext(tar, dir);
    return { dir, remove };
  } catch (err) {
    remove();
    throw err;
  }
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

type Kind = "dir" | "file" | "symlink";

async function extractContext(tar: Uint8Array, dir: string): Promise<void> {
  const kinds = new Map<string, Kind>([["", "dir"]]);
  const dirModes: [string, number, number][] = [];
  const fail = (name: string, why: string) => new UsageError(`${LABEL}: entry ${JSON.stringify(name)} ${why}`);
  for await (const { entry, body } of readTar(once(tar))) {
    const parts = entry.path.split("/").filter((p) => p !== "" && p !== ".");
    if (parts.includes("..")) throw fail(entry.path, "points outside the context");
    const rel = parts.join("/");
    if (rel === "") continue;
    for (let i = 1; i < parts.length; i++) {
      const p = parts.slice(0, i).join("/");
      const k = kinds.get(p);
      if (k === "symlink") throw fail(entry.path, `would be written through the symlink ${JSON.stringify(p)}`);
      if (k === "file") throw fail(entry.path, `is below ${JSON.stringify(p)}, which is not a directory`);
      if (k === undefined) { mkdirSync(join(dir, p), 0o755); kinds.set(p, "dir"); }
    }
    const path = join(dir, rel);
    const before = kinds.get(rel);
    if (before !== undefined && !(before === "dir" && entry.type === "dir")) {
      rmSync(path, { recursive: true, force: true });
      for (const k of kinds.keys()) if (k === rel || k.startsWith(`${rel}/`)) kinds.delete(k);
    }
    switch (entry.type) {
      case "dir":
        if (!kinds.has(rel)) mkdirSync(path, 0o755);
        kinds.set(rel, "dir");
        dirModes.push([path, entry.mode, entry.mtime]);
        break;
      case "file": {
        const chunks: Uint8Array[] = [];
        for await (const c of body) chunks.push(c.slice());
        writeFileSync(path, concat(chunks), { mode: 0o600, flag: "wx" });
        chmodSync(path, entry.mode);
        utimesSync(path, entry.mtime, entry.mtime);
        kinds.set(rel, "file");
        break;
      }
      case "symlink":
        symlinkSync(entry.linkname, path); // read later only through resolveInContext, inside the context
        kinds.set(rel, "symlink");
        break;
      case "hardlink": {
        const target = entry.linkname.split("/").filter((p) => p !== "" && p !== ".").join("/");
        if (entry.linkname.split("/").includes("..") || kinds.get(target) !== "file") {
          throw fail(entry.path, `is a hard link to ${JSON.stringify(entry.linkname)}, which is not a file of the archive`);
        }
        linkSync(join(dir, target), path);
        kinds.set(rel, "file");
        break;
      }
      default:
        break; // devices, fifos: nothing a build can copy
    }
  }
  // modes last, deepest first: a 0555 directory must not refuse what goes into it
  dirModes.sort(([a], [b]) => b.split("/").length - a.split("/").length);
  for (const [path, mode, mtime] of dirModes) {
    chmodSync(path, mode);
    utimesSync(path, mtime, mtime);
  }
}

/** rm -rf that also works for directories the archive made read-only. */
function removeTree(dir: string): void {
  const open = (d: string) => {
    try { chmodSync(d, 0o700); } catch {}
    let names: string[] = [];
    try { names = readdirSync(d); } catch {}
    for (const n of names) {
      const p = posix.join(d, n);
      try { if (lstatSync(p).isDirectory()) open(p); } catch {}
    }
  };
  open(dir);
  rmSync(dir, { recursive: true, force: true });
}

export function noDockerfileInContext(file: string): RrError {
  return new RrError(`cannot find ${file} in ${LABEL}`, { hint: "Put a Dockerfile at the archive's top, or name it with -f PATH (a path inside the archive)." });
}
