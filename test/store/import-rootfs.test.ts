import { afterEach, describe, expect, test } from "bun:test";
import { gzipSync, zstdCompressSync } from "node:zlib";
import { importRootfs } from "../../src/store/import-rootfs.ts";
import { hex, layerTar } from "./archive-helpers.ts";
import { chunked, newStore, tmpEntries, cleanTempDirs } from "./store-helpers.ts";

afterEach(cleanTempDirs);

const tar = layerTar({ "etc/os-release": "ID=test\n", "bin/hello": "#!/bin/sh\necho hi\n" });
const now = new Date("2025-01-01T00:00:00Z");

describe("importRootfs()", () => {
  for (const [kind, bytes] of [["plain", tar], ["gzip", gzipSync(tar)], ["zstd", zstdCompressSync(tar)]] as const) {
    test(`imports a ${kind} rootfs tarball as one uncompressed layer`, async () => {
      const store = newStore();
      const image = await importRootfs(store, chunked(bytes), { names: ["myimg:1"], sourceLabel: "rootfs.tar", now });
      expect(image.names).toEqual(["docker.io/library/myimg:1"]);
      expect(image.layers).toHaveLength(1);
      expect(image.layers[0]!.diffId).toBe(`sha256:${hex(tar)}`);
      expect(image.layers[0]!.blobDigest).toBe(`sha256:${hex(tar)}`);
      expect(image.config.history).toEqual([{ created: now.toISOString(), comment: "Imported from rootfs.tar" }]);
      expect(image.created).toBe(now.toISOString());
      expect(image.config.os).toBe("linux");
      expect(tmpEntries(store)).toEqual([]);
    });
  }

  test("keeps -m as the comment and imports without a name", async () => {
    const store = newStore();
    const image = await importRootfs(store, chunked(tar), { names: [], message: "hello", sourceLabel: "-", now });
    expect(image.names).toEqual([]);
    expect(image.config.comment).toBe("hello");
  });

  test("refuses a truncated or non-tar file and leaves the store as it was", async () => {
    const store = newStore();
    const big = layerTar({ "big": "x".repeat(5000) });
    for (const bad of [big.subarray(0, 3000), tar.subarray(0, 1100), new TextEncoder().encode("just text, not a tar\n".repeat(40)), gzipSync(tar).subarray(0, 40)]) {
      await expect(importRootfs(store, chunked(bad), { names: ["x:1"], sourceLabel: "f" })).rejects.toThrow(/tar|gzip/);
    }
    expect(store.images.list()).toEqual([]);
    expect(store.blobs.list()).toEqual([]);
    expect(tmpEntries(store)).toEqual([]);
  });
});
