/**
 * Extracting `cp` archives: into a plain directory, and into a stopped
 * overlay container's upper layer the way overlayfs would write it.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tarBytes, type TarSpec } from "../../../src/image/tar-writer.ts";
import { DirFd } from "../../../src/runtime/container-fs/dir-fd.ts";
import { LayeredDir } from "../../../src/runtime/container-fs/layered-dir.ts";
import { PlainTarget, UpperTarget } from "../../../src/runtime/container-fs/targets.ts";
import { extractTar, type ExtractOptions } from "../../../src/runtime/container-fs/tree-extract.ts";
import { lgetxattr, lsetxattr } from "../../../src/sys/libc.ts";

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });
const temp = () => { const d = mkdtempSync(join(tmpdir(), "rr-extract-")); dirs.push(d); return d; };
const owner = process.getuid!() === 0 ? "root" : "none";

async function extractPlain(dir: string, entries: TarSpec[], opts: Partial<ExtractOptions> = {}) {
  const target = new PlainTarget(DirFd.open(dir));
  try {
    return await extractTar(target, (async function* () { yield tarBytes(entries); })(), { owner, label: "/dest", ...opts });
  } finally {
    target.close();
  }
}

describe("extractTar into a directory", () => {
  test("files, directories, symlinks, hard links and FIFOs with their modes and times", async () => {
    const d = temp();
    await extractPlain(d, [
      { type: "dir", path: "a/", mode: 0o750, mtime: 1_000_000 },
      { type: "file", path: "a/f", data: "data", mode: 0o640, mtime: 2_000_000 },
      { type: "symlink", path: "a/l", linkname: "/nowhere" },
      { type: "hardlink", path: "a/h", linkname: "a/f" },
      { type: "fifo", path: "a/p" },
    ]);
    expect(statSync(join(d, "a")).mode & 0o7777).toBe(0o750);
    expect(statSync(join(d, "a")).mtimeMs).toBe(1_000_000_000);
    expect(readFileSync(join(d, "a/f"), "utf8")).toBe("data");
    expect(statSync(join(d, "a/f")).mode & 0o7777).toBe(0o640);
    expect(readlinkSync(join(d, "a/l"))).toBe("/nowhere");
    expect(statSync(join(d, "a/h")).ino).toBe(statSync(join(d, "a/f")).ino);
    expect(lstatSync(join(d, "a/p")).isFIFO()).toBe(true);
  });

  test("the top entry is renamed; the destination directory itself is left alone", async () => {
    const d = temp();
    await extractPlain(d, [{ type: "dir", path: "./", mode: 0o700 }, { type: "file", path: "./src/x", data: "x" }, { type: "hardlink", path: "./src/y", linkname: "./src/x" }], { rename: { from: ".", to: "new" } });
    expect(readdirSync(join(d, "new/src")).sort()).toEqual(["x", "y"]);
    const e = temp();
    const before = statSync(e).mode;
    await extractPlain(e, [{ type: "dir", path: "./", mode: 0o700 }, { type: "file", path: "./x", data: "x" }]);
    expect(statSync(e).mode).toBe(before);
  });

  test("an entry never passes through a symlink, even one already in the destination", async () => {
    const outside = temp();
    const d = temp();
    symlinkSync(outside, join(d, "link"));
    await expect(extractPlain(d, [{ type: "file", path: "link/pwned", data: "x" }])).rejects.toThrow('cannot copy to "/dest/link": it is a symbolic link');
    await expect(extractPlain(d, [
      { type: "symlink", path: "l2", linkname: outside },
      { type: "file", path: "l2/pwned", data: "x" },
    ])).rejects.toThrow("symbolic link");
    expect(readdirSync(outside)).toEqual([]);
  });

  test("absolute names and .. are refused", async () => {
    const d = temp();
    await expect(extractPlain(d, [{ type: "file", path: "/etc/x", data: "x" }])).rejects.toThrow("absolute names are not allowed");
    await expect(extractPlain(d, [{ type: "file", path: "a/../../x", data: "x" }])).rejects.toThrow("leads outside the destination");
    await expect(extractPlain(d, [{ type: "hardlink", path: "h", linkname: "../x" }])).rejects.toThrow("leads outside the destination");
    expect(readdirSync(d)).toEqual([]);
  });

  test("a directory never replaces a non-directory, nor the other way round", async () => {
    const d = temp();
    writeFileSync(join(d, "file"), "f");
    mkdirSync(join(d, "dir"));
    await expect(extractPlain(d, [{ type: "dir", path: "file/" }])).rejects.toThrow('cannot overwrite non-directory "/dest/file" with directory');
    await expect(extractPlain(d, [{ type: "file", path: "dir", data: "x" }])).rejects.toThrow('cannot overwrite directory "/dest/dir" with non-directory');
    await extractPlain(d, [{ type: "file", path: "file", data: "replaced" }]);
    expect(readFileSync(join(d, "file"), "utf8")).toBe("replaced");
  });
});

describe("extractTar into an overlay upper layer", () => {
  function overlay(whiteoutFiles = true) {
    const lower = temp();
    const upper = temp();
    mkdirSync(join(lower, "etc"), { mode: 0o750 });
    writeFileSync(join(lower, "etc/passwd"), "lower passwd");
    mkdirSync(join(lower, "gone"));
    writeFileSync(join(lower, "gone/old"), "old");
    writeFileSync(join(upper, ".wh.gone"), "");
    const extract = async (entries: TarSpec[]) => {
      const v = LayeredDir.open([{ path: upper, whiteoutFiles }, { path: lower }]);
      const target = new UpperTarget(v, whiteoutFiles);
      try {
        return await extractTar(target, (async function* () { yield tarBytes(entries); })(), { owner, label: "/" });
      } finally {
        target.close();
      }
    };
    return { lower, upper, extract };
  }

  test("a directory of the image is copied up, with its mode, before a file is made in it", async () => {
    const { lower, upper, extract } = overlay();
    await extract([{ type: "file", path: "etc/new", data: "n" }, { type: "hardlink", path: "etc/pw2", linkname: "etc/passwd" }]);
    expect(statSync(join(upper, "etc")).mode & 0o7777).toBe(0o750);
    expect(readFileSync(join(upper, "etc/new"), "utf8")).toBe("n");
    // A hard link to a file only the image has: the file is copied up first.
    expect(readFileSync(join(upper, "etc/pw2"), "utf8")).toBe("lower passwd");
    expect(statSync(join(upper, "etc/pw2")).ino).toBe(statSync(join(upper, "etc/passwd")).ino);
    expect(readdirSync(join(lower, "etc")).sort()).toEqual(["passwd"]);
  });

  test("a deleted name is reused: the whiteout goes, and the new directory hides the image's", async () => {
    const probe = join(temp(), "p");
    writeFileSync(probe, "");
    let xattrs = true;
    try { lsetxattr(probe, "user.rr.probe", new TextEncoder().encode("y")); } catch { xattrs = false; }
    const { lower, upper, extract } = overlay();
    if (!xattrs) {
      await expect(extract([{ type: "dir", path: "gone/" }])).rejects.toThrow();
      return; // this file system cannot mark a directory opaque
    }
    await extract([{ type: "dir", path: "gone/" }, { type: "file", path: "gone/new", data: "n" }]);
    expect(existsSync(join(upper, ".wh.gone"))).toBe(false);
    expect(new TextDecoder().decode(lgetxattr(join(upper, "gone"), "user.overlay.opaque"))).toBe("y");
    const v = LayeredDir.open([{ path: upper, whiteoutFiles: true }, { path: lower }]);
    const gone = v.openChild("gone");
    expect(gone.names()).toEqual(["new"]);
    gone.close();
    v.close();
  });
});
