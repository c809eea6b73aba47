import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { DigestMismatchError, UsageError } from "../../src/errors.ts";
import { sha256Digest } from "../../src/store/blob-store.ts";
import { chunked, newStore, tmpEntries, cleanTempDirs } from "./store-helpers.ts";

afterEach(cleanTempDirs);

const data = new TextEncoder().encode("hello blob\n".repeat(5000));
const digest = sha256Digest(data);

describe("BlobStore", () => {
  test("put() stores a streamed blob under its digest", async () => {
    const { blobs } = newStore();
    expect(await blobs.put(chunked(data), { digest, size: data.length })).toEqual({ digest, size: data.length });
    expect(blobs.has(digest)).toBe(true);
    expect(readFileSync(blobs.path(digest))).toEqual(Buffer.from(data));
    expect(blobs.list()).toEqual([digest]);
  });

  test("put() with the wrong digest leaves nothing behind", async () => {
    const store = newStore();
    const wrong = `sha256:${"0".repeat(64)}`;
    await expect(store.blobs.put(chunked(data), { digest: wrong })).rejects.toBeInstanceOf(DigestMismatchError);
    expect(store.blobs.has(wrong)).toBe(false);
    expect(store.blobs.list()).toEqual([]);
    expect(tmpEntries(store)).toEqual([]);
  });

  test("put() stops reading a stream longer than the expected size", async () => {
    const store = newStore();
    await expect(store.blobs.put(chunked(data), { digest, size: 10 })).rejects.toThrow("more data than the 10 bytes expected");
    expect(tmpEntries(store)).toEqual([]);
  });

  test("putBytes() is idempotent and checks an expected digest", () => {
    const { blobs } = newStore();
    expect(blobs.putBytes(data).digest).toBe(digest);
    expect(blobs.putBytes(data).digest).toBe(digest);
    expect(() => blobs.putBytes(data, `sha256:${"1".repeat(64)}`)).toThrow(DigestMismatchError);
  });

  test("a stored blob that changed on disk is an error when read", async () => {
    const { blobs } = newStore();
    blobs.putBytes(data);
    writeFileSync(blobs.path(digest), "tampered");
    expect(() => blobs.readBytes(digest)).toThrow(DigestMismatchError);
    const read = async () => { for await (const _ of blobs.read(digest)); };
    await expect(read()).rejects.toBeInstanceOf(DigestMismatchError);
  });

  test("read() streams a good blob and checks its size", async () => {
    const { blobs } = newStore();
    blobs.putBytes(data);
    let n = 0;
    for await (const c of blobs.read(digest, data.length)) n += c.length;
    expect(n).toBe(data.length);
    const wrongSize = async () => { for await (const _ of blobs.read(digest, 1)); };
    await expect(wrongSize()).rejects.toThrow("size mismatch");
  });

  test("delete() removes a blob and ignores a missing one", () => {
    const { blobs } = newStore();
    blobs.putBytes(data);
    blobs.delete(digest);
    blobs.delete(digest);
    expect(existsSync(blobs.path(digest))).toBe(false);
  });

  // CVE-2024-3727: no path is built from an unvalidated digest.
  test("path() refuses digests that are not sha256:<64 hex>", () => {
    const { blobs } = newStore();
    expect(() => blobs.path("sha256:../../../etc/passwd")).toThrow(UsageError);
    expect(() => blobs.has(`sha256:${"a".repeat(63)}/`)).toThrow(UsageError);
    expect(() => blobs.path(`sha512:${"a".repeat(128)}`)).toThrow('unsupported digest algorithm "sha512"');
  });
});
