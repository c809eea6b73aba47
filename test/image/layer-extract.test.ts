import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeError, RrError } from "../../src/errors.ts";
import { extractLayer, OPAQUE_XATTR, type ExtractStats } from "../../src/image/layer-extract.ts";
import { tarBytes, type PaxHeaderSpec, type TarSpec } from "../../src/image/tar-writer.ts";
import { lgetxattr } from "../../src/sys/libc.ts";
import { hostileArchives, multiLayerImage } from "../fixtures/images.ts";
import { chunked } from "./tar-helpers.ts";

const isRoot = process.getuid?.() === 0;
/** Tests that need root say so in their name when skipped, as CONVENTIONS asks. */
const rootTest = (name: string, fn: () => Promise<void> | void) =>
  isRoot ? test(name, fn) : test.skip(`${name} (skipped: needs root)`, fn);

let tmp: string, dest: string, canary: string;
const SENTINEL = "canary content\n";

beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), "rr-extract-"));
  dest = join(tmp, "dest");
  canary = join(tmp, "canary");
  mkdirSync(canary);
  writeFileSync(join(canary, "sentinel"), SENTINEL);
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

function extract(archive: Uint8Array | (TarSpec | PaxHeaderSpec)[], warnings: string[] = []): Promise<ExtractStats> {
  const bytes = archive instanceof Uint8Array ? archive : tarBytes(archive);
  return extractLayer(chunked(bytes, 4096), dest, { onWarning: (w) => warnings.push(w) });
}

/** Nothing outside dest changed: tmp holds only canary and dest, canary only its sentinel. */
function expectCanaryUntouched(): void {
  expect(readdirSync(tmp).sort()).toEqual(["canary", "dest"]);
  expect(readdirSync(canary)).toEqual(["sentinel"]);
  expect(readFileSync(join(canary, "sentinel"), "utf8")).toBe(SENTINEL);
}

describe("extractLayer() refuses hostile archives", () => {
  const expected: Record<string, string> = {
    dotdot: "path escapes the layer root",
    absolute: "is absolute",
    symlinkThenFileThroughIt: 'layer entry "link/pwned": path passes through a symlink ("link")',
    symlinkToDotdotThenFile: 'layer entry "up/pwned": path passes through a symlink ("up")',
    symlinkReplacesDirThenFile: 'layer entry "d/pwned": path passes through a symlink ("d")',
    hardlinkOutside: 'layer entry "h": hardlink target "../../etc/passwd" escapes the layer root',
    hardlinkAbsolute: 'layer entry "h": hardlink target',
    hardlinkThroughSymlink: 'layer entry "h": hardlink target "s/sentinel" passes through a non-directory ("s")',
    dotSymlink: 'layer entry ".": a symlink cannot replace the layer root',
    whiteoutDotdot: 'layer entry "a/.wh...": whiteout names an invalid file ".."',
    truncated: 'truncated tar archive: entry "big" ends after 4000 of 10000 bytes',
  };

  test("the fixture set has a regression test for every hostile archive", () => {
    expect(Object.keys(hostileArchives("/x")).sort()).toEqual(Object.keys(expected).sort());
  });

  for (const [name, message] of Object.entries(expected)) {
    test(`refuses ${name} with an error naming the entry and leaves the canary alone`, async () => {
      const archive = hostileArchives(canary)[name]!;
      const err = await extract(archive).catch((e) => e);
      expect(err).toBeInstanceOf(RrError);
      expect(err.message).toContain(message);
      expectCanaryUntouched();
    });
  }

  test("names the exact entry for a `..` component", async () => {
    await expect(extract([{ type: "file", path: "a/../../evil" }])).rejects.toThrow('layer entry "a/../../evil": path escapes the layer root');
  });

  test("replaces a symlink with a file without writing through it", async () => {
    await extract([
      { type: "symlink", path: "f", linkname: join(canary, "sentinel") },
      { type: "file", path: "f", data: "new content" },
    ]);
    expectCanaryUntouched();
    expect(lstatSync(join(dest, "f")).isFile()).toBe(true);
    expect(readFileSync(join(dest, "f"), "utf8")).toBe("new content");
  });

  test("replaces a symlink with a directory, then writes inside the new directory", async () => {
    await extract([
      { type: "symlink", path: "d", linkname: canary },
      { type: "dir", path: "d/" },
      { type: "file", path: "d/inside", data: "ok" },
    ]);
    expectCanaryUntouched();
    expect(lstatSync(join(dest, "d")).isDirectory()).toBe(true);
    expect(readFileSync(join(dest, "d/inside"), "utf8")).toBe("ok");
  });

  test("refuses a hardlink to a file this layer does not contain", async () => {
    await expect(extract([{ type: "hardlink", path: "h", linkname: "missing" }])).rejects.toThrow(
      'layer entry "h": hardlink target "missing" is not in this layer before it',
    );
  });

  test("refuses a destination that is not empty", async () => {
    mkdirSync(dest);
    writeFileSync(join(dest, "x"), "");
    await expect(extract([{ type: "file", path: "a" }])).rejects.toThrow(/the directory is not empty/);
  });

  test("drops trusted.* and user.overlay.* xattrs from the image with a warning", async () => {
    const warnings: string[] = [];
    await extract([{ type: "dir", path: "d/", xattrs: { "user.overlay.opaque": "y", "trusted.overlay.redirect": "/x" } }], warnings);
    expect(lgetxattr(join(dest, "d"), "user.overlay.opaque")).toBeUndefined();
    expect(warnings.sort()).toEqual([
      'layer entry "d/": ignored xattr trusted.overlay.redirect',
      'layer entry "d/": ignored xattr user.overlay.opaque',
    ]);
  });
});

describe("extractLayer() writes what the layer says", () => {
  test("normalizes ./a//b/ names", async () => {
    await extract([{ type: "file", path: "./a//b/", data: "x" }, { type: "dir", path: "./c/./d//" }]);
    expect(readFileSync(join(dest, "a/b"), "utf8")).toBe("x");
    expect(statSync(join(dest, "c/d")).isDirectory()).toBe(true);
  });

  test("keeps setuid, setgid and sticky bits and exact modes", async () => {
    await extract([
      { type: "file", path: "suid", mode: 0o4755 },
      { type: "file", path: "sgid", mode: 0o2711 },
      { type: "file", path: "private", mode: 0o600 },
      { type: "dir", path: "tmp/", mode: 0o1777 },
    ]);
    const mode = (p: string) => statSync(join(dest, p)).mode & 0o7777;
    expect([mode("suid"), mode("sgid"), mode("private"), mode("tmp")]).toEqual([0o4755, 0o2711, 0o600, 0o1777]);
  });

  rootTest("keeps setuid on a file chowned to another user", async () => {
    await extract([{ type: "file", path: "suid", mode: 0o4755, uid: 1000, gid: 1000 }]);
    const st = statSync(join(dest, "suid"));
    expect([st.uid, st.gid, st.mode & 0o7777]).toEqual([1000, 1000, 0o4755]);
  });

  test("sets mtimes on files, symlinks and directories, directories last", async () => {
    await extract([
      { type: "dir", path: "d/", mtime: 1_000_000_000 },
      { type: "file", path: "d/f", mtime: 1_100_000_000 },
      { type: "symlink", path: "d/s", linkname: "nowhere", mtime: 1_200_000_000 },
      { type: "pax", kind: "x", records: { mtime: "1300000000.5" } },
      { type: "file", path: "frac" },
    ]);
    expect(statSync(join(dest, "d")).mtimeMs).toBe(1_000_000_000_000);
    expect(statSync(join(dest, "d/f")).mtimeMs).toBe(1_100_000_000_000);
    expect(lstatSync(join(dest, "d/s")).mtimeMs).toBe(1_200_000_000_000);
    expect(statSync(join(dest, "frac")).mtimeMs).toBe(1_300_000_000_500);
  });

  test("accepts a directory entry after the files inside it and applies its metadata", async () => {
    await extract([
      { type: "file", path: "late/sub/file", data: "x" },
      { type: "dir", path: "late/", mode: 0o700, mtime: 1_000_000_000 },
      { type: "dir", path: "late/", mode: 0o750, mtime: 1_000_000_001 }, // a repeat updates, never fails
    ]);
    const st = statSync(join(dest, "late"));
    expect([st.mode & 0o7777, st.mtimeMs]).toEqual([0o750, 1_000_000_001_000]);
    expect(readFileSync(join(dest, "late/sub/file"), "utf8")).toBe("x");
  });

  test("makes a hardlink share the target's inode", async () => {
    await extract([{ type: "file", path: "a/target", data: "shared" }, { type: "hardlink", path: "b/link", linkname: "./a/target" }]);
    expect(statSync(join(dest, "b/link")).ino).toBe(statSync(join(dest, "a/target")).ino);
    expect(statSync(join(dest, "a/target")).nlink).toBe(2);
  });

  test("stores symlink targets verbatim, absolute and dangling ones included", async () => {
    await extract([{ type: "symlink", path: "abs", linkname: "/etc/passwd" }, { type: "symlink", path: "up", linkname: "../../x" }]);
    expect(readlinkSync(join(dest, "abs"))).toBe("/etc/passwd");
    expect(readlinkSync(join(dest, "up"))).toBe("../../x");
  });

  test("preserves the user.rr.test xattr", async () => {
    await extract([{ type: "file", path: "x", data: "x", xattrs: { "user.rr.test": "hello" } }]);
    expect(new TextDecoder().decode(lgetxattr(join(dest, "x"), "user.rr.test"))).toBe("hello");
  });

  test("creates FIFOs", async () => {
    await extract([{ type: "fifo", path: "pipe", mode: 0o620 }]);
    const st = lstatSync(join(dest, "pipe"));
    expect([st.isFIFO(), st.mode & 0o777]).toEqual([true, 0o620]);
  });

  test("counts file bytes and entries", async () => {
    const mine = { uid: process.getuid!(), gid: process.getgid!() }; // so no chown can be refused
    const stats = await extract([{ type: "dir", path: "d/", ...mine }, { type: "file", path: "d/f", data: new Uint8Array(70_000), ...mine }]);
    expect(stats).toMatchObject({ entries: 2, bytes: 70_000, skippedOwnership: 0, skippedDevices: 0 });
  });

  rootTest("sets owners and creates device nodes", async () => {
    await extract([
      { type: "dir", path: "home/app/", uid: 1000, gid: 1000 },
      { type: "symlink", path: "home/app/l", linkname: "x", uid: 1000, gid: 1001 },
      { type: "char", path: "dev/null", devmajor: 1, devminor: 3, mode: 0o666 },
    ]);
    const dir = statSync(join(dest, "home/app"));
    const link = lstatSync(join(dest, "home/app/l"));
    const nul = lstatSync(join(dest, "dev/null"));
    expect([dir.uid, dir.gid, link.uid, link.gid]).toEqual([1000, 1000, 1000, 1001]);
    expect([nul.isCharacterDevice(), nul.rdev, nul.mode & 0o777]).toEqual([true, 0x103, 0o666]);
  });
});

describe("extractLayer() converts OCI whiteouts for overlayfs", () => {
  rootTest("turns dir/.wh.name into a 0/0 character device at dir/name", async () => {
    await extract([{ type: "file", path: "etc/.wh.removed" }]);
    const st = lstatSync(join(dest, "etc/removed"));
    expect([st.isCharacterDevice(), st.rdev]).toEqual([true, 0]);
    expect(readdirSync(join(dest, "etc"))).toEqual(["removed"]);
  });

  test("turns dir/.wh..wh..opq into the opaque xattr, creating the directory if needed", async () => {
    await extract([{ type: "file", path: "data/opq/.wh..wh..opq" }, { type: "file", path: "data/opq/c", data: "c" }]);
    expect(new TextDecoder().decode(lgetxattr(join(dest, "data/opq"), OPAQUE_XATTR))).toBe("y");
    expect(readdirSync(join(dest, "data/opq"))).toEqual(["c"]);
  });

  rootTest("lets the layer's own entry win over a whiteout of the same name, in either order", async () => {
    await extract([
      { type: "file", path: "a/.wh.first" },
      { type: "file", path: "a/first", data: "after its whiteout" },
      { type: "file", path: "a/second", data: "before its whiteout" },
      { type: "file", path: "a/.wh.second" },
      { type: "file", path: ".wh.dir" },
      { type: "file", path: "dir/inside", data: "under a whited-out name" },
    ]);
    expect(readFileSync(join(dest, "a/first"), "utf8")).toBe("after its whiteout");
    expect(readFileSync(join(dest, "a/second"), "utf8")).toBe("before its whiteout");
    expect(readFileSync(join(dest, "dir/inside"), "utf8")).toBe("under a whited-out name");
  });

  rootTest("extracts the multi-layer fixture's upper layer completely", async () => {
    const stats = await extract(multiLayerImage().layers[1]!);
    expect(lstatSync(join(dest, "etc/removed")).isCharacterDevice()).toBe(true);
    expect(new TextDecoder().decode(lgetxattr(join(dest, "data/opq"), OPAQUE_XATTR))).toBe("y");
    expect(statSync(join(dest, "data/hard")).ino).toBe(statSync(join(dest, "data/keep")).ino);
    expect(readlinkSync(join(dest, "data/link"))).toBe("/etc/passwd");
    expect(statSync(join(dest, "bin/suid")).mode & 0o7777).toBe(0o4755);
    expect(statSync(join(dest, "data/owned1000")).uid).toBe(1000);
    expect(readdirSync(join(dest, "data/empty"))).toEqual([]);
    expect(new TextDecoder().decode(lgetxattr(join(dest, "data/xattr"), "user.rr.test"))).toBe("hello");
    expect(stats.skippedOwnership).toBe(0);
  });
});

describe("extractLayer() as an unprivileged user", () => {
  /** Runs an extraction as uid/gid 65534 (root is needed only to drop to it). */
  function extractAsNobody(entries: TarSpec[]): { stats?: ExtractStats; error?: string } {
    const layer = join(tmp, "layer.tar");
    writeFileSync(layer, tarBytes(entries));
    const script = join(tmp, "run.ts");
    writeFileSync(
      script,
      `import { extractLayer } from ${JSON.stringify(join(import.meta.dir, "../../src/image/layer-extract.ts"))};
       import { readFileStream } from ${JSON.stringify(join(import.meta.dir, "../../src/image/decompress.ts"))};
       try { console.log(JSON.stringify({ stats: await extractLayer(readFileStream(${JSON.stringify(layer)}), ${JSON.stringify(dest)}) })); }
       catch (e) { console.log(JSON.stringify({ error: e.message })); }`,
    );
    chmodSync(tmp, 0o755);
    mkdirSync(dest);
    chownSync(dest, 65534, 65534);
    const r = Bun.spawnSync(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, script], {
      env: { ...process.env, HOME: tmp },
    });
    if (r.exitCode !== 0) throw new Error(r.stderr.toString());
    return JSON.parse(r.stdout.toString());
  }

  rootTest("counts unmappable owners and devices instead of failing", () => {
    const { stats, error } = extractAsNobody([
      { type: "file", path: "owned", data: "x", uid: 1000, gid: 1000, mode: 0o4755 },
      { type: "file", path: "owned2", uid: 1000, gid: 1000 },
      { type: "char", path: "dev/null", devmajor: 1, devminor: 3 },
      { type: "fifo", path: "fifo" },
    ]);
    expect(error).toBeUndefined();
    // Three: both 1000-owned files and the FIFO, whose 0:0 is as foreign to nobody as 1000 is.
    expect(stats).toMatchObject({ entries: 4, skippedOwnership: 3, skippedDevices: 1 });
    expect(statSync(join(dest, "owned")).mode & 0o7777).toBe(0o4755);
    expect(lstatSync(join(dest, "fifo")).isFIFO()).toBe(true);
  });

  // Linux ≥ 5.8 lets anyone create the 0/0 whiteout device; older kernels get a clear
  // error with a hint instead (not testable on a new kernel).
  rootTest("creates whiteout devices without privilege", () => {
    const { error } = extractAsNobody([{ type: "file", path: "etc/.wh.gone" }]);
    expect(error).toBeUndefined();
    expect(lstatSync(join(dest, "etc/gone")).isCharacterDevice()).toBe(true);
  });
});

describe("extractLayer() failures", () => {
  test("names the entry in front of a system error, keeping the error as its cause", async () => {
    const name = "n".repeat(300); // longer than NAME_MAX: open(2) fails with ENAMETOOLONG
    const err = await extract([{ type: "file", path: name }]).catch((e) => e);
    expect(err).toBeInstanceOf(RrError);
    expect(err.message).toBe(`layer entry "${name}"`);
    expect(describeError(err).message).toStartWith(`layer entry "${name}": ENAMETOOLONG`);
  });
});
