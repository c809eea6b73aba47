/**
 * Unpacks one image layer into an empty directory, turning OCI whiteouts
 * into what overlayfs reads (0/0 character devices, `user.overlay.opaque`).
 *
 * Node has no openat, so safety comes from bookkeeping instead: `dest` is a
 * fresh directory only this process writes to, every path is validated
 * against the record of what this extraction created, and nothing is ever
 * opened or created through a symlink an entry made (CVE-2021-29136 and the
 * umoci/Docker family in PITFALLS.md).
 */
import {
  closeSync, constants, fchmodSync, fchownSync, futimesSync, linkSync, lchownSync, lutimesSync,
  mkdirSync, openSync, readdirSync, rmSync, statSync, symlinkSync, unlinkSync, chmodSync, utimesSync, writeSync,
} from "node:fs";
import { resolve } from "node:path";
import { RrError, SyscallError } from "../errors.ts";
import { lsetxattr, makedev, mknod, S_IFBLK, S_IFCHR, S_IFIFO } from "../sys/libc.ts";
import { readTar, type TarEntry } from "./tar-reader.ts";

export interface ExtractStats {
  entries: number;
  /** Bytes of regular-file content written. */
  bytes: number;
  /** lchown calls refused (unmapped id in a user namespace). */
  skippedOwnership: number;
  /** Device nodes that could not be created (no CAP_MKNOD). */
  skippedDevices: number;
  /** Extended attributes the filesystem or the kernel refused. */
  skippedXattrs: number;
}

export interface ExtractOptions {
  onWarning?(msg: string): void;
}

/** The xattr overlayfs reads in `userxattr` mode, which is how rr mounts in a user namespace. */
export const OPAQUE_XATTR = "user.overlay.opaque";
const WHITEOUT_PREFIX = ".wh.";
const OPAQUE_MARKER = ".wh..wh..opq";

/** What this extraction put at a path: the only truth parents are checked against. */
type Kind = "dir" | "file" | "symlink" | "other" | "whiteout";

export async function extractLayer(
  source: AsyncIterable<Uint8Array>,
  dest: string,
  opts: ExtractOptions = {},
): Promise<ExtractStats> {
  const x = new Extraction(resolve(dest), opts);
  for await (const { entry, body } of readTar(source)) {
    await x.add(entry, body);
  }
  x.finish();
  return x.stats;
}

function layerError(entry: TarEntry, message: string, opts: { code?: string; cause?: unknown; hint?: string } = {}): RrError {
  return new RrError(`layer entry ${JSON.stringify(entry.path)}: ${message}`, { code: opts.code ?? "BAD_LAYER", ...opts });
}

/** Splits a name into clean components; refuses absolute names and `..` anywhere. */
function components(entry: TarEntry, name: string, what = "path"): string[] {
  if (name.includes("\0")) throw layerError(entry, `${what} contains a NUL byte`);
  if (name.startsWith("/")) throw layerError(entry, `${what} ${JSON.stringify(name)} is absolute`);
  const parts = name.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) {
    throw layerError(entry, what === "path" ? "path escapes the layer root" : `${what} ${JSON.stringify(name)} escapes the layer root`);
  }
  return parts;
}

function errnoCode(err: unknown): string | undefined {
  if (err instanceof SyscallError) return ({ 1: "EPERM", 22: "EINVAL", 95: "ENOTSUP" } as Record<number, string>)[err.errno];
  return (err as NodeJS.ErrnoException)?.code;
}

class Extraction {
  readonly stats: ExtractStats = { entries: 0, bytes: 0, skippedOwnership: 0, skippedDevices: 0, skippedXattrs: 0 };
  private readonly kinds = new Map<string, Kind>([["", "dir"]]);
  /** Directory modes and mtimes, applied last: adding entries would change the mtime, a 0555 dir would refuse them. */
  private readonly dirMeta = new Map<string, { mode: number; mtime: number }>();
  /** Parent paths already checked; cleared whenever something is removed. */
  private readonly checkedParents = new Set<string>([""]);
  /** uid:gid pairs lchown refused once; not retried for every file. */
  private readonly unmappedOwners = new Set<string>();
  private readonly euid = process.geteuid?.() ?? -1;
  private readonly egid = process.getegid?.() ?? -1;
  /** Under a setgid dest, new inodes take its group, not ours: chown must not be skipped then. */
  private readonly inheritsGroup: boolean;

  constructor(private readonly dest: string, private readonly opts: ExtractOptions) {
    mkdirSync(dest, { recursive: true });
    if (readdirSync(dest).length) {
      throw new RrError(`cannot extract a layer into ${JSON.stringify(dest)}: the directory is not empty`, { code: "BAD_LAYER" });
    }
    this.inheritsGroup = (statSync(dest).mode & 0o2000) !== 0; // S_ISGID
  }

  private full(rel: string): string {
    return rel === "" ? this.dest : `${this.dest}/${rel}`;
  }

  async add(entry: TarEntry, body: AsyncIterable<Uint8Array>): Promise<void> {
    this.stats.entries++;
    const parts = components(entry, entry.path);
    const base = parts[parts.length - 1];
    try {
      if (base !== undefined && base.startsWith(WHITEOUT_PREFIX)) return this.whiteout(entry, parts);
      if (parts.length === 0) return this.root(entry);
      const rel = parts.join("/");
      this.ensureParents(entry, parts);
      switch (entry.type) {
        case "dir": return this.dir(entry, rel);
        case "file": return await this.file(entry, rel, body);
        case "symlink": return this.symlink(entry, rel);
        case "hardlink": return this.hardlink(entry, rel);
        case "char": case "block": case "fifo": return this.node(entry, rel);
      }
    } catch (err) {
      // Our own errors already say what is wrong with which entry; system errors get the
      // entry's name in front, the CLI then prints `layer entry "x": <cause>`.
      if (err instanceof RrError && !(err instanceof SyscallError)) throw err;
      throw new RrError(`layer entry ${JSON.stringify(entry.path)}`, { code: "EXTRACT", cause: err });
    }
  }

  /** Applies directory modes and mtimes, deepest first so a 0500 parent cannot get in the way. */
  finish(): void {
    const dirs = [...this.dirMeta].sort(([a], [b]) => depth(b) - depth(a));
    for (const [rel, meta] of dirs) {
      chmodSync(this.full(rel), meta.mode);
      utimesSync(this.full(rel), meta.mtime, meta.mtime);
    }
  }

  /** `.` or `./`: only a directory may describe the layer root, never a symlink (CVE-2021-29136). */
  private root(entry: TarEntry): void {
    if (entry.type !== "dir") throw layerError(entry, `a ${entry.type} cannot replace the layer root`);
    this.chown(entry, "", true);
    this.dirMeta.set("", { mode: entry.mode, mtime: entry.mtime });
  }

  /** Creates missing parents as plain directories; refuses to go through anything else. */
  private ensureParents(entry: TarEntry, parts: string[]): void {
    const parent = parts.slice(0, -1).join("/");
    if (this.checkedParents.has(parent)) return;
    let rel = "";
    for (let i = 0; i < parts.length - 1; i++) {
      rel = rel ? `${rel}/${parts[i]}` : parts[i]!;
      const kind = this.kinds.get(rel);
      if (kind === "dir") continue;
      if (kind === "symlink") throw layerError(entry, `path passes through a symlink (${JSON.stringify(rel)})`);
      if (kind === "file" || kind === "other") throw layerError(entry, `parent ${JSON.stringify(rel)} is not a directory`);
      // A whiteout of this name is overridden by the layer's own content beneath it.
      if (kind === "whiteout") this.remove(rel);
      mkdirSync(this.full(rel), 0o755);
      this.kinds.set(rel, "dir");
    }
    this.checkedParents.add(parent);
  }

  /** Clears the way for a new non-directory entry at `rel` (or for a dir replacing a non-dir). */
  private clear(rel: string, replacingWithDir: boolean): "exists" | "clear" {
    const prev = this.kinds.get(rel);
    if (prev === undefined) return "clear";
    if (prev === "dir" && replacingWithDir) return "exists";
    this.remove(rel);
    return "clear";
  }

  private remove(rel: string): void {
    const prev = this.kinds.get(rel);
    if (prev === "dir") {
      rmSync(this.full(rel), { recursive: true, force: true }); // rm does not follow symlinks inside
      const under = `${rel}/`;
      for (const k of [...this.kinds.keys()]) if (k.startsWith(under)) this.kinds.delete(k);
      for (const k of [...this.dirMeta.keys()]) if (k === rel || k.startsWith(under)) this.dirMeta.delete(k);
    } else {
      unlinkSync(this.full(rel));
    }
    this.kinds.delete(rel);
    this.checkedParents.clear();
    this.checkedParents.add("");
  }

  private dir(entry: TarEntry, rel: string): void {
    const existed = this.clear(rel, true) === "exists";
    if (!existed) {
      mkdirSync(this.full(rel), 0o755);
      this.kinds.set(rel, "dir");
    }
    // An existing directory may carry an owner from an earlier entry: always set this entry's.
    this.chown(entry, rel, existed);
    this.xattrs(entry, rel);
    this.dirMeta.set(rel, { mode: entry.mode, mtime: entry.mtime });
  }

  private async file(entry: TarEntry, rel: string, body: AsyncIterable<Uint8Array>): Promise<void> {
    this.clear(rel, false);
    // O_EXCL|O_NOFOLLOW: the name was just cleared; if anything is there now, fail rather than write through it.
    const fd = openSync(this.full(rel), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    this.kinds.set(rel, "file");
    try {
      for await (const chunk of body) {
        let off = 0;
        while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
        this.stats.bytes += chunk.length;
      }
      // chown first: it clears setuid/setgid, which the chmod after it restores.
      this.chownWith(entry, false, () => fchownSync(fd, entry.uid, entry.gid));
      fchmodSync(fd, entry.mode);
      futimesSync(fd, entry.mtime, entry.mtime);
    } finally {
      closeSync(fd);
    }
    // After chown, which would drop security.capability.
    this.xattrs(entry, rel);
  }

  private symlink(entry: TarEntry, rel: string): void {
    this.clear(rel, false);
    symlinkSync(entry.linkname, this.full(rel)); // target verbatim: it is resolved inside the container
    this.kinds.set(rel, "symlink");
    this.chown(entry, rel, false);
    this.xattrs(entry, rel);
    lutimesSync(this.full(rel), entry.mtime, entry.mtime);
  }

  private hardlink(entry: TarEntry, rel: string): void {
    const target = components(entry, entry.linkname, "hardlink target").join("/");
    let prefix = "";
    for (const part of target.split("/").slice(0, -1)) {
      prefix = prefix ? `${prefix}/${part}` : part;
      if (this.kinds.get(prefix) !== "dir") {
        throw layerError(entry, `hardlink target ${JSON.stringify(entry.linkname)} passes through a non-directory (${JSON.stringify(prefix)})`);
      }
    }
    const kind = this.kinds.get(target);
    if (target === "" || kind === "dir") throw layerError(entry, `hardlink target ${JSON.stringify(entry.linkname)} is a directory`);
    if (kind === undefined || kind === "whiteout") {
      throw layerError(entry, `hardlink target ${JSON.stringify(entry.linkname)} is not in this layer before it`);
    }
    if (target === rel) throw layerError(entry, "hardlink points to itself");
    this.clear(rel, false);
    // link(2) does not follow a symlink target on Linux: the new name shares the symlink's own inode.
    linkSync(this.full(target), this.full(rel));
    this.kinds.set(rel, kind);
    // Owner, mode and times belong to the shared inode, set by the target's own entry.
  }

  private node(entry: TarEntry, rel: string): void {
    this.clear(rel, false);
    const type = entry.type === "char" ? S_IFCHR : entry.type === "block" ? S_IFBLK : S_IFIFO;
    const dev = entry.type === "fifo" ? 0n : makedev(entry.devmajor, entry.devminor);
    try {
      mknod(this.full(rel), type | (entry.mode & 0o777), dev);
    } catch (err) {
      if (entry.type !== "fifo" && errnoCode(err) === "EPERM") {
        this.stats.skippedDevices++; // expected without CAP_MKNOD in the init namespace
        return;
      }
      throw err;
    }
    this.kinds.set(rel, "other");
    this.chown(entry, rel, false);
    chmodSync(this.full(rel), entry.mode); // mknod's mode went through the umask
    this.xattrs(entry, rel);
    utimesSync(this.full(rel), entry.mtime, entry.mtime);
  }

  /** `dir/.wh.name` hides a lower `dir/name`; `dir/.wh..wh..opq` hides all of a lower `dir`. */
  private whiteout(entry: TarEntry, parts: string[]): void {
    const base = parts[parts.length - 1]!;
    const dirParts = parts.slice(0, -1);
    const dir = dirParts.join("/");
    if (base === OPAQUE_MARKER) {
      this.ensureParents(entry, [...dirParts, "x"]); // the opaque directory itself must exist
      try {
        lsetxattr(this.full(dir), OPAQUE_XATTR, new TextEncoder().encode("y"));
      } catch (err) {
        throw layerError(entry, `cannot mark ${JSON.stringify(dir || ".")} opaque`, {
          code: "EXTRACT", cause: err, hint: "the layer store needs a filesystem with user extended attributes",
        });
      }
      return;
    }
    if (base.startsWith(OPAQUE_MARKER.slice(0, 8))) {
      // Other `.wh..wh.` names are AUFS bookkeeping (e.g. `.wh..wh.plnk`), meaningless here.
      this.opts.onWarning?.(`layer entry ${JSON.stringify(entry.path)}: ignored AUFS metadata`);
      return;
    }
    const name = base.slice(WHITEOUT_PREFIX.length);
    if (name === "" || name === "." || name === "..") throw layerError(entry, `whiteout names an invalid file ${JSON.stringify(name)}`);
    const rel = dir ? `${dir}/${name}` : name;
    // A whiteout hides only lower layers: what this layer itself has at that name wins.
    const prev = this.kinds.get(rel);
    if (prev !== undefined && prev !== "whiteout") return;
    this.ensureParents(entry, [...dirParts, name]);
    if (prev === "whiteout") return;
    try {
      mknod(this.full(rel), S_IFCHR, makedev(0, 0));
    } catch (err) {
      throw layerError(entry, "cannot create the whiteout device", {
        code: "EXTRACT", cause: err,
        hint: errnoCode(err) === "EPERM" ? "unprivileged whiteouts need Linux 5.8 or newer" : undefined,
      });
    }
    this.kinds.set(rel, "whiteout");
  }

  /** `existing`: the inode was not just created by us, so it may not be ours yet. */
  private chown(entry: TarEntry, rel: string, existing: boolean): void {
    this.chownWith(entry, existing, () => lchownSync(this.full(rel), entry.uid, entry.gid));
  }

  /** Skips the call for ids a fresh inode already has; counts ids the user namespace cannot map. */
  private chownWith(entry: TarEntry, existing: boolean, call: () => void): void {
    if (!existing && !this.inheritsGroup && entry.uid === this.euid && entry.gid === this.egid) return;
    const owner = `${entry.uid}:${entry.gid}`;
    if (this.unmappedOwners.has(owner)) {
      this.stats.skippedOwnership++;
      return;
    }
    try {
      call();
    } catch (err) {
      const code = errnoCode(err);
      if (code !== "EPERM" && code !== "EINVAL") throw err;
      this.unmappedOwners.add(owner);
      this.stats.skippedOwnership++;
    }
  }

  private xattrs(entry: TarEntry, rel: string): void {
    for (const [name, value] of Object.entries(entry.xattrs)) {
      // The image must not steer overlayfs (opaque, redirect, metacopy) or set trusted.* at all.
      if (name.startsWith("trusted.") || name.startsWith("user.overlay.")) {
        this.opts.onWarning?.(`layer entry ${JSON.stringify(entry.path)}: ignored xattr ${name}`);
        continue;
      }
      try {
        lsetxattr(this.full(rel), name, value);
      } catch (err) {
        const code = errnoCode(err);
        if (code !== "EPERM" && code !== "ENOTSUP") throw err;
        this.stats.skippedXattrs++;
        this.opts.onWarning?.(`layer entry ${JSON.stringify(entry.path)}: xattr ${name} not set: ${(err as Error).message}`);
      }
    }
  }
}

function depth(rel: string): number {
  if (rel === "") return 0;
  let n = 1;
  for (let i = 0; i < rel.length; i++) if (rel.charCodeAt(i) === 47) n++;
  return n;
}
