import { describe, expect, test } from "bun:test";
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RrError } from "../../src/errors.ts";
import { lsetxattr } from "../../src/sys/libc.ts";
import { readTar } from "../../src/image/tar-reader.ts";
import { tarBytes, type TarSpec } from "../../src/image/tar-writer.ts";
import { chunked, headerOffset, readAll, rewriteChecksum, text } from "./tar-helpers.ts";

const long101 = "d".repeat(60) + "/" + "f".repeat(40); // 101 bytes: fits ustar only with the prefix split
const long300 = ("segment-" + "x".repeat(50) + "/").repeat(5) + "leaf"; // > 255: needs PAX or GNU L

const everyKind: TarSpec[] = [
  { type: "dir", path: "dir/", mode: 0o755, mtime: 1_600_000_000 },
  { type: "file", path: "dir/file", data: "hello\n", mode: 0o4755, uid: 1_000_000, gid: 1_000_001, uname: "big", gname: "biggroup", mtime: 1_600_000_001 },
  { type: "file", path: long101, data: "long101" },
  { type: "file", path: long300, data: "long300" },
  { type: "symlink", path: "link", linkname: "dir/file" },
  { type: "symlink", path: "longlink", linkname: "/" + "t".repeat(200) },
  { type: "hardlink", path: "hard", linkname: "dir/file" },
  { type: "fifo", path: "fifo", mode: 0o600 },
  { type: "char", path: "null", devmajor: 1, devminor: 3, mode: 0o666 },
  { type: "block", path: "sda", devmajor: 8, devminor: 0 },
  { type: "file", path: "xattrs", data: "", xattrs: { "user.rr.test": "hello", "security.capability": new Uint8Array([1, 0, 0, 2, 0x80]) } },
];

function checkEveryKind(entries: Awaited<ReturnType<typeof readAll>>): void {
  expect(entries.map((e) => [e.path, e.type])).toEqual(everyKind.map((s) => [s.path, s.type]));
  const [dir, file, l101, l300, link, longlink, hard, fifo, nul, sda, xattrs] = entries;
  expect(dir!.mtime).toBe(1_600_000_000);
  expect(text(file!.data)).toBe("hello\n");
  expect(file!).toMatchObject({ size: 6, mode: 0o4755, uid: 1_000_000, gid: 1_000_001, uname: "big", gname: "biggroup", mtime: 1_600_000_001 });
  expect(text(l101!.data)).toBe("long101");
  expect(text(l300!.data)).toBe("long300");
  expect(link!.linkname).toBe("dir/file");
  expect(longlink!.linkname).toBe("/" + "t".repeat(200));
  expect(hard!.linkname).toBe("dir/file");
  expect(fifo!.mode).toBe(0o600);
  expect(nul).toMatchObject({ devmajor: 1, devminor: 3, mode: 0o666 });
  expect(sda).toMatchObject({ devmajor: 8, devminor: 0 });
  expect(text(xattrs!.xattrs["user.rr.test"]!)).toBe("hello");
  expect([...xattrs!.xattrs["security.capability"]!]).toEqual([1, 0, 0, 2, 0x80]);
}

describe("readTar()", () => {
  test("reads back every entry kind the writer wrote in PAX format", async () => {
    checkEveryKind(await readAll(chunked(tarBytes(everyKind))));
  });

  test("reads GNU long names, long links and base-256 numbers", async () => {
    const gnu = tarBytes(everyKind.filter((s) => !s.xattrs), { format: "gnu" });
    expect(text(gnu)).toContain("././@LongLink"); // the dialect really is GNU
    const entries = await readAll(chunked(gnu));
    expect(entries.map((e) => e.path)).toContain(long300);
    expect(entries.find((e) => e.path === "dir/file")).toMatchObject({ uid: 1_000_000, gid: 1_000_001 });
    expect(entries.find((e) => e.path === "longlink")!.linkname).toBe("/" + "t".repeat(200));
  });

  test("reads a negative base-256 mtime", async () => {
    const [e] = await readAll(chunked(tarBytes([{ type: "file", path: "old", mtime: -86_400 }], { format: "gnu" })));
    expect(e!.mtime).toBe(-86_400);
  });

  test("gives the same entries whatever the chunk size, down to one byte", async () => {
    const archive = tarBytes(everyKind);
    for (const size of [1, 7, 511, 513, 100_000]) checkEveryKind(await readAll(chunked(archive, size)));
  });

  test("hands out bodies as views into the source chunks, not copies", async () => {
    const archive = tarBytes([{ type: "file", path: "big", data: new Uint8Array(200_000).fill(7) }]);
    const views: Uint8Array[] = [];
    for await (const { body } of readTar(chunked(archive, 1 << 20))) for await (const c of body) views.push(c);
    expect(views.length).toBe(1);
    expect(views[0]!.buffer).toBe(archive.buffer);
  });

  test("skips unread and half-read bodies when the next entry is requested", async () => {
    const archive = tarBytes([
      { type: "file", path: "a", data: new Uint8Array(5000).fill(1) },
      { type: "file", path: "b", data: new Uint8Array(5000).fill(2) },
      { type: "file", path: "c", data: "third" },
    ]);
    const seen: string[] = [];
    for await (const { entry, body } of readTar(chunked(archive, 1000))) {
      seen.push(entry.path);
      if (entry.path === "b") for await (const _ of body) break; // read one chunk, abandon the rest
      if (entry.path === "c") for await (const c of body) seen.push(text(c));
    }
    expect(seen).toEqual(["a", "b", "c", "third"]);
  });

  test("refuses to read a body after moving on to the next entry", async () => {
    const archive = tarBytes([{ type: "file", path: "a", data: "x" }, { type: "file", path: "b", data: "y" }]);
    let first: AsyncIterable<Uint8Array> | undefined;
    for await (const { body } of readTar(chunked(archive))) first ??= body;
    const readLate = async () => { for await (const _ of first!); };
    await expect(readLate()).rejects.toThrow(/body read after moving to the next entry/);
  });

  test("applies PAX path, linkpath, size, ids, names and fractional mtime", async () => {
    const archive = tarBytes([
      { type: "pax", kind: "x", records: { path: "renamed", uid: "4000000000", gid: "7", uname: "ü", gname: "grp", mtime: "1600000000.25" } },
      { type: "file", path: "original", data: "body" },
      { type: "pax", kind: "x", records: { linkpath: "pax-target" } },
      { type: "symlink", path: "s", linkname: "short" },
    ]);
    const [f, s] = await readAll(chunked(archive));
    expect(f).toMatchObject({ path: "renamed", uid: 4_000_000_000, gid: 7, uname: "ü", gname: "grp", mtime: 1_600_000_000.25 });
    expect(text(f!.data)).toBe("body");
    expect(s!.linkname).toBe("pax-target");
  });

  test("applies global PAX ids to every later entry but never a global path", async () => {
    const archive = tarBytes([
      { type: "pax", kind: "g", records: { comment: "git archive", uid: "42", path: "everything" } },
      { type: "file", path: "a" },
      { type: "pax", kind: "x", records: { uid: "7" } },
      { type: "file", path: "b" },
    ]);
    const entries = await readAll(chunked(archive));
    expect(entries.map((e) => [e.path, e.uid])).toEqual([["a", 42], ["b", 7]]);
  });

  test("reads libarchive's base64 xattrs", async () => {
    const archive = tarBytes([
      { type: "pax", kind: "x", records: { "LIBARCHIVE.xattr.user.with%20space": Buffer.from("value").toString("base64") } },
      { type: "file", path: "f" },
    ]);
    const [f] = await readAll(chunked(archive));
    expect(text(f!.xattrs["user.with space"]!)).toBe("value");
  });

  test("reads old-style entries: NUL type flag, trailing slash for directories", async () => {
    const archive = tarBytes([{ type: "file", path: "olddir/" }, { type: "file", path: "olddir/file", data: "v7" }]);
    for (const name of ["olddir/", "olddir/file"]) {
      const off = headerOffset(archive, name);
      archive[off + 156] = 0;
      rewriteChecksum(archive, off);
    }
    const entries = await readAll(chunked(archive));
    expect(entries.map((e) => [e.path, e.type, text(e.data)])).toEqual([["olddir/", "dir", ""], ["olddir/file", "file", "v7"]]);
  });

  test("accepts a header checksummed with signed bytes", async () => {
    const archive = tarBytes([{ type: "file", path: "é-name", data: "x" }]); // non-ASCII bytes in the name field
    const off = headerOffset(archive, "é");
    rewriteChecksum(archive, off, true);
    const [e] = await readAll(chunked(archive));
    expect(e!.path).toBe("é-name");
  });

  test("rejects a header whose checksum does not match", async () => {
    const archive = tarBytes([{ type: "file", path: "first", data: "1" }, { type: "file", path: "second", data: "2" }]);
    archive[headerOffset(archive, "second") + 1] ^= 1;
    await expect(readAll(chunked(archive))).rejects.toThrow('invalid tar header after "first": checksum mismatch');
  });

  test("names the entry and its size when the archive ends inside a body", async () => {
    const archive = tarBytes([{ type: "file", path: "big", data: new Uint8Array(10_000) }]);
    const err = await readAll(chunked(archive.subarray(0, 512 + 4000))).catch((e) => e);
    expect(err).toBeInstanceOf(RrError);
    expect(err.message).toBe('truncated tar archive: entry "big" ends after 4000 of 10000 bytes');
  });

  test("reports a truncated archive when it ends inside a header", async () => {
    const archive = tarBytes([{ type: "file", path: "a", data: "x" }, { type: "file", path: "b" }]);
    const cut = archive.subarray(0, headerOffset(archive, "b") + 100);
    await expect(readAll(chunked(cut))).rejects.toThrow('truncated tar archive: header after "a" is cut short');
  });

  test("reports a truncated archive when a skipped body is cut short", async () => {
    const archive = tarBytes([{ type: "file", path: "big", data: new Uint8Array(10_000) }]).subarray(0, 3000);
    const consumeHeadersOnly = async () => { for await (const _ of readTar(chunked(archive))); };
    await expect(consumeHeadersOnly()).rejects.toThrow('truncated tar archive: entry "big" ends after 2488 of 10000 bytes');
  });

  test("accepts an archive that ends without the two zero blocks", async () => {
    const archive = tarBytes([{ type: "file", path: "a", data: "x" }]);
    const entries = await readAll(chunked(archive.subarray(0, 1024)));
    expect(entries.map((e) => e.path)).toEqual(["a"]);
  });

  test("stops at the end-of-archive marker and ignores what follows it", async () => {
    const archive = new Uint8Array([...tarBytes([{ type: "file", path: "a" }]), ...new Uint8Array(512).fill(0x41)]);
    expect((await readAll(chunked(archive))).map((e) => e.path)).toEqual(["a"]);
  });

  test("rejects a negative or fractional size from a PAX header", async () => {
    for (const size of ["-5", "1.5"]) {
      const archive = tarBytes([{ type: "pax", kind: "x", records: { size } }, { type: "file", path: "f" }]);
      await expect(readAll(chunked(archive))).rejects.toThrow(`tar entry "f": invalid size ${Number(size)}`);
    }
  });

  test("names the entry and the flag for an unknown type", async () => {
    const archive = tarBytes([{ type: "file", path: "sparse-file", data: "x" }]);
    archive[156] = "S".charCodeAt(0);
    rewriteChecksum(archive, 0);
    await expect(readAll(chunked(archive))).rejects.toThrow('tar entry "sparse-file": unsupported type flag "S"');
  });

  test("reads what GNU tar writes, long names and xattrs included", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rr-tar-"));
    try {
      const deep = join(dir, "src", "n".repeat(120), "m".repeat(120));
      mkdirSync(deep, { recursive: true });
      writeFileSync(join(deep, "file"), "from gnu tar");
      lsetxattr(join(deep, "file"), "user.rr.test", new TextEncoder().encode("gnu xattr"));
      symlinkSync("n".repeat(150), join(dir, "src", "sym"));
      for (const format of ["gnu", "pax"]) {
        const out = join(dir, `${format}.tar`);
        const r = Bun.spawnSync(["tar", `--format=${format}`, "--xattrs", "-C", join(dir, "src"), "-cf", out, "."]);
        expect(r.exitCode).toBe(0);
        const entries = await readAll(chunked(new Uint8Array(readFileSync(out))));
        const file = entries.find((e) => e.path.endsWith("/file"))!;
        expect(file.path).toBe(`./${"n".repeat(120)}/${"m".repeat(120)}/file`);
        expect(text(file.data)).toBe("from gnu tar");
        expect(entries.find((e) => e.path === "./sym")!.linkname).toBe("n".repeat(150));
        if (format === "pax") expect(text(file.xattrs["user.rr.test"]!)).toBe("gnu xattr");
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
