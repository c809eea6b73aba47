/**
 * The pure parts of COPY/ADD: where trees land (Docker's directory rules)
 * and what the cache hash sees, archives recognised by content and read
 * with Docker's breakout checks, context paths resolved inside the
 * context, ONBUILD triggers parsed again.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync, zstdCompressSync } from "node:zlib";
import { placeTrees, type Placement, type SourceTree } from "../../src/cli/build/source-tree.ts";
import { archiveTree } from "../../src/cli/build/archive-tree.ts";
import { compressionOf, startsWithTarHeader, tarInside } from "../../src/cli/build/archive-bytes.ts";
import { globRegex, resolveInContext } from "../../src/cli/build/context-files.ts";
import { containerId } from "../../src/cli/build/image-dest.ts";
import { parseTrigger } from "../../src/cli/build/onbuild.ts";
import { isGitUrl, isUrl } from "../../src/cli/build/url-source.ts";
import { parseDockerfile } from "../../src/build/dockerfile/parse.ts";
import { tarBytes, type TarSpec } from "../../src/image/tar-writer.ts";

const file = (rel: string, data: string, extra: Partial<SourceTree["items"][0]> = {}) =>
  ({ rel, type: "file" as const, mode: 0o644, uid: 0, gid: 0, mtime: 1, data: Buffer.from(data), ...extra });
const dir = (rel: string, extra: Partial<SourceTree["items"][0]> = {}) => ({ rel, type: "dir" as const, mode: 0o755, uid: 0, gid: 0, mtime: 1, ...extra });
const place = (trees: SourceTree[], p: Partial<Placement> = {}) =>
  placeTrees(trees, { dest: "/app", destIsDir: false, imageDirs: new Map(), createdOwner: { uid: 0, gid: 0 }, ...p });
const paths = (r: ReturnType<typeof placeTrees>) => r.entries.map((e) => `${e.type} ${e.path}`);

describe("placeTrees()", () => {
  test("a file goes to DEST, or to DEST/NAME when DEST is a directory; missing parents are made 0755", () => {
    const tree = { name: "a.txt", items: [file("", "a")] };
    expect(paths(place([tree], { dest: "/x/y" }))).toEqual(["dir x", "file x/y"]);
    expect(paths(place([tree], { dest: "/x/y", destIsDir: true }))).toEqual(["dir x", "dir x/y", "file x/y/a.txt"]);
  });

  test("a directory's contents go into DEST, not the directory itself", () => {
    const tree = { name: "src", items: [dir(""), file("f", "1"), dir("sub"), file("sub/g", "2")] };
    expect(paths(place([tree], { dest: "/app" }))).toEqual(["dir app", "file app/f", "dir app/sub", "file app/sub/g"]);
    expect(paths(place([tree], { dest: "/" }))).toEqual(["file f", "dir sub", "file sub/g"]);
  });

  test("the image's directories on the way are repeated as they are, not as the copy would make them", () => {
    const imageDirs = new Map([["/home", { mode: 0o755, uid: 0, gid: 0, mtime: 5 }], ["/home/app", { mode: 0o700, uid: 1000, gid: 1000, mtime: 6 }]]);
    const r = place([{ name: "f", items: [file("", "x")] }], { dest: "/home/app", destIsDir: true, imageDirs, owner: { uid: 1000, gid: 1000 }, createdOwner: { uid: 1000, gid: 1000 } });
    expect(r.entries.map((e) => [e.path, e.mode, e.uid, e.mtime])).toEqual([["home", 0o755, 0, 5], ["home/app", 0o700, 1000, 6], ["home/app/f", 0o644, 1000, 1]]);
  });

  test("--chown and --chmod apply to every copied item (a symlink stays 0777); owners are kept without --chown", () => {
    const tree = { name: "d", items: [dir(""), file("f", "1", { uid: 7, gid: 8, mode: 0o600 }), { rel: "l", type: "symlink" as const, linkname: "f", mode: 0o777, uid: 7, gid: 8, mtime: 1 }] };
    const kept = place([tree]);
    expect(kept.entries.map((e) => [e.path, e.mode!.toString(8), e.uid, e.gid])).toEqual([["app", "755", 0, 0], ["app/f", "600", 7, 8], ["app/l", "777", 7, 8]]);
    const set = place([tree], { owner: { uid: 1, gid: 2 }, chmod: 0o640 });
    expect(set.entries.map((e) => [e.path, e.mode!.toString(8), e.uid, e.gid])).toEqual([["app", "640", 1, 2], ["app/f", "640", 1, 2], ["app/l", "777", 1, 2]]);
  });

  test("hard links point at where their target landed", () => {
    const tree = { name: "d", items: [dir(""), file("a", "x"), { rel: "b", type: "hardlink" as const, linkname: "a", mode: 0o644, uid: 0, gid: 0, mtime: 1 }] };
    const link = place([tree], { dest: "/o" }).entries.find((e) => e.path === "o/b");
    expect(link).toMatchObject({ type: "hardlink", linkname: "o/a" });
  });

  test("the hash sees names, modes, owners and contents, never mtimes", () => {
    const h = (items: SourceTree["items"], p: Partial<Placement> = {}) => place([{ name: "x", items }], p).hash;
    const base = h([file("", "same")]);
    expect(h([file("", "same", { mtime: 999 })])).toBe(base);
    expect(h([file("", "other")])).not.toBe(base);
    expect(h([file("", "same", { mode: 0o755 })])).not.toBe(base);
    expect(h([file("", "same", { uid: 1 })])).not.toBe(base);
    expect(h([file("", "same")], { dest: "/elsewhere" })).not.toBe(base);
  });

  test("a name an image layer would read as a whiteout is refused", () => {
    expect(() => place([{ name: ".wh.x", items: [file("", "x")] }], { destIsDir: true })).toThrow(/\.wh\. mark deletions/);
  });
});

const tar = (entries: TarSpec[]) => tarBytes(entries);

describe("archives, by content", () => {
  const t = tar([{ type: "file", path: "a", data: "1" }]);

  test("compressionOf() reads the magic bytes; startsWithTarHeader() checks the header checksum", () => {
    expect(compressionOf(gzipSync(t))).toBe("gzip");
    expect(compressionOf(zstdCompressSync(t))).toBe("zstd");
    expect(compressionOf(Buffer.from("BZh91AY"))).toBe("bzip2");
    expect(compressionOf(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1]))).toBe("xz");
    expect(compressionOf(t)).toBe("none");
    expect(startsWithTarHeader(t)).toBe(true);
    expect(startsWithTarHeader(new Uint8Array(1024))).toBe(false);
    const bad = t.slice();
    bad[0] = 0x62; // the name changes, the checksum does not
    expect(startsWithTarHeader(bad)).toBe(false);
    expect(startsWithTarHeader(Buffer.from("FROM busybox\n".repeat(50)))).toBe(false);
  });

  test("tarInside() finds the tar in gzip and zstd, and nothing in a compressed non-tar or a broken stream", async () => {
    expect(await tarInside(gzipSync(t), "x")).toEqual(t);
    expect(await tarInside(zstdCompressSync(t), "x")).toEqual(t);
    expect(await tarInside(gzipSync(Buffer.from("text")), "x")).toBeUndefined();
    expect(await tarInside(gzipSync(t).subarray(0, 20), "x")).toBeUndefined();
    expect(await tarInside(Buffer.from("plain"), "x")).toBeUndefined();
  });

  test.skipIf(!Bun.which("bzip2") || !Bun.which("xz"))("tarInside() decompresses bzip2 and xz with the Debian commands", async () => {
    for (const cmd of ["bzip2", "xz"]) {
      const packed = new Uint8Array(Bun.spawnSync([cmd, "-c"], { stdin: t }).stdout);
      expect(await tarInside(packed, "x")).toEqual(t);
    }
  });
});

describe("archiveTree()", () => {
  const label = 'ADD failed: archive "a.tar"';
  const items = async (entries: TarSpec[]) => (await archiveTree(tar(entries), "a.tar", label)).items.map((i) => `${i.type} ${i.rel}${i.linkname ? ` -> ${i.linkname}` : ""}`);

  test("names lose a leading / and ./, stay relative, and `..` that stays inside is resolved", async () => {
    expect(await items([
      { type: "dir", path: "./" }, { type: "file", path: "/abs", data: "" }, { type: "file", path: "./d/../x", data: "" },
      { type: "symlink", path: "s", linkname: "/etc/passwd" }, { type: "symlink", path: "d2/up", linkname: "../x" },
      { type: "hardlink", path: "h", linkname: "./x" },
    ])).toEqual(["dir ", "file abs", "file x", "symlink s -> /etc/passwd", "symlink d2/up -> ../x", "hardlink h -> x"]);
  });

  test("a later entry replaces an earlier one and what was below it", async () => {
    expect(await items([{ type: "dir", path: "d/" }, { type: "file", path: "d/f", data: "" }, { type: "file", path: "d", data: "now a file" }]))
      .toEqual(["dir ", "file d"]);
  });

  const refused: [string, TarSpec[], RegExp][] = [
    ["../", [{ type: "file", path: "../x", data: "" }], /entry "\.\.\/x" points outside/],
    ["a/../../", [{ type: "file", path: "a/../../x", data: "" }], /points outside/],
    ["/../", [{ type: "file", path: "/../x", data: "" }], /points outside/],
    ["a symlink up and out", [{ type: "symlink", path: "a/b", linkname: "../../x" }], /symlink to "\.\.\/\.\.\/x", outside/],
    ["writing through a symlink", [{ type: "symlink", path: "l", linkname: "sub" }, { type: "file", path: "l/f", data: "" }], /written through the symlink "l"/],
    ["below a file", [{ type: "file", path: "f", data: "" }, { type: "file", path: "f/g", data: "" }], /below "f", which is not a directory/],
    ["a hard link out", [{ type: "hardlink", path: "h", linkname: "/etc/shadow" }], /hard link to "\/etc\/shadow"/],
    ["a hard link to a directory", [{ type: "dir", path: "d/" }, { type: "hardlink", path: "h", linkname: "d" }], /hard link to "d"/],
  ];
  for (const [what, entries, message] of refused) {
    test(`refuses ${what}`, async () => {
      const err = await archiveTree(tar(entries), "a.tar", label).then(() => undefined, (e: Error) => e);
      expect(err?.message).toMatch(/^ADD failed: archive "a\.tar": /);
      expect(err?.message).toMatch(message);
    });
  }
});

describe("context paths", () => {
  const root = mkdtempSync(join(tmpdir(), "rr-ctx-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, "real/sub"), { recursive: true });
  writeFileSync(join(root, "real/sub/f"), "f");
  symlinkSync("real", join(root, "rel-link"));
  symlinkSync("/real/sub", join(root, "abs-link"));
  symlinkSync("../../../../../../etc", join(root, "up-link"));
  symlinkSync("loop", join(root, "loop"));

  test("resolveInContext() follows symlinks inside the context: absolute targets start at its root, `..` stops there", () => {
    expect(resolveInContext(root, "rel-link/sub/f")).toBe("real/sub/f");
    expect(resolveInContext(root, "abs-link/f")).toBe("real/sub/f");
    expect(resolveInContext(root, "up-link/passwd")).toBeUndefined(); // /etc of the context, which has none
    expect(resolveInContext(root, "real/sub/f/x")).toBeUndefined();
    expect(resolveInContext(root, ".")).toBe(".");
    expect(() => resolveInContext(root, "loop")).toThrow(/too many levels of symbolic links/);
  });

  test("globRegex() is Go's filepath.Match: wildcards never cross /, classes and escapes work", () => {
    expect(globRegex("*.txt").test("a.txt")).toBe(true);
    expect(globRegex("*.txt").test("d/a.txt")).toBe(false);
    expect(globRegex("d/?.[ch]").test("d/x.c")).toBe(true);
    expect(globRegex("[!a]*").test("abc")).toBe(false);
    expect(globRegex("a\\*").test("a*")).toBe(true);
    expect(globRegex("a\\*").test("ab")).toBe(false);
  });
});

describe("the rest", () => {
  test("containerId() maps host ids back through the id map; unmapped ids are the overflow id", () => {
    const map = [{ containerId: 0, hostId: 1000, size: 1 }, { containerId: 1, hostId: 100000, size: 65536 }];
    expect([containerId(1000, map), containerId(100000, map), containerId(101233, map), containerId(5, map), containerId(5, [])]).toEqual([0, 1, 1234, 65534, 5]);
  });

  test("URLs: http(s) only; git repositories are told apart", () => {
    expect([isUrl("http://x/a"), isUrl("HTTPS://x/a"), isUrl("ftp://x/a"), isUrl("./http:x")]).toEqual([true, true, false, false]);
    expect([isGitUrl("git@github.com:a/b.git"), isGitUrl("https://example.com/r.git#main"), isGitUrl("https://example.com/r.tgz")]).toEqual([true, true, false]);
  });

  test("parseTrigger() reads a stored trigger at the FROM's line; FROM and ONBUILD are no triggers", () => {
    const df = parseDockerfile("FROM base\nRUN true\n");
    const t = parseTrigger(df, df.stages[0]!.from, "COPY --chown=app a b /dest/");
    expect(t).toMatchObject({ kind: "COPY", sources: ["a", "b"], dest: "/dest/", chown: "app", line: 1, keyword: "ONBUILD COPY" });
    expect(parseTrigger(df, df.stages[0]!.from, "RUN <<EOF\necho hi\nEOF")).toMatchObject({ kind: "RUN", heredocs: [{ content: "echo hi\n" }] });
    expect(() => parseTrigger(df, df.stages[0]!.from, "FROM x")).toThrow(/^Dockerfile:1: ONBUILD trigger "FROM x" of the base image: FROM isn't allowed/);
    expect(() => parseTrigger(df, df.stages[0]!.from, "NOPE x")).toThrow(/^Dockerfile:1: ONBUILD trigger "NOPE x" of the base image: unknown instruction/i);
  });
});
