import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { DigestMismatchError } from "../../src/errors.ts";
import { tarBytes } from "../../src/image/tar-writer.ts";
import { isUnpacked, layerDir, removeLayer, unpackLayer } from "../../src/store/layer-store.ts";
import { hex, layerTar } from "./archive-helpers.ts";
import { newStore, tmpEntries, cleanTempDirs } from "./store-helpers.ts";

afterEach(cleanTempDirs);

describe("layer store", () => {
  test("unpackLayer() extracts a gzip blob into layers/<diffid> after checking the diffId", async () => {
    const store = newStore();
    const tar = layerTar({ "etc/hostname": "box\n" });
    const { digest } = store.blobs.putBytes(gzipSync(tar));
    const diffId = `sha256:${hex(tar)}`;
    const result = await unpackLayer(store.root, store.blobs.path(digest), diffId, "application/vnd.oci.image.layer.v1.tar+gzip");
    expect(result?.entries).toBe(1);
    expect(isUnpacked(store.root, diffId)).toBe(true);
    expect(readFileSync(join(layerDir(store.root, diffId), "etc/hostname"), "utf8")).toBe("box\n");
    expect(tmpEntries(store)).toEqual([]);
    // A second unpack finds it done.
    expect(await unpackLayer(store.root, store.blobs.path(digest), diffId, "application/vnd.oci.image.layer.v1.tar")).toBeUndefined();
  });

  test("the diffId covers the whole stream, padding after the end marker included", async () => {
    const store = newStore();
    const tar = Buffer.concat([tarBytes([{ type: "file", path: "a", data: "a" }]), Buffer.alloc(10240)]);
    const { digest } = store.blobs.putBytes(tar);
    const diffId = `sha256:${hex(tar)}`;
    await unpackLayer(store.root, store.blobs.path(digest), diffId, "application/vnd.oci.image.layer.v1.tar");
    expect(isUnpacked(store.root, diffId)).toBe(true);
  });

  test("a layer that does not hash to its diffId leaves no tree and no temporary files", async () => {
    const store = newStore();
    const tar = layerTar({ a: "a" });
    const { digest } = store.blobs.putBytes(tar);
    const wrong = `sha256:${"3".repeat(64)}`;
    await expect(unpackLayer(store.root, store.blobs.path(digest), wrong, "application/vnd.oci.image.layer.v1.tar"))
      .rejects.toBeInstanceOf(DigestMismatchError);
    expect(isUnpacked(store.root, wrong)).toBe(false);
    expect(tmpEntries(store)).toEqual([]);
  });

  test("a hostile layer fails without leaving a partial tree", async () => {
    const store = newStore();
    const tar = tarBytes([{ type: "file", path: "ok", data: "fine" }, { type: "file", path: "../../escape", data: "x" }]);
    const { digest } = store.blobs.putBytes(tar);
    const diffId = `sha256:${hex(tar)}`;
    await expect(unpackLayer(store.root, store.blobs.path(digest), diffId, "application/vnd.oci.image.layer.v1.tar")).rejects.toThrow("escapes");
    expect(isUnpacked(store.root, diffId)).toBe(false);
    expect(tmpEntries(store)).toEqual([]);
  });

  test("removeLayer() removes a tree, read-only directories included", async () => {
    const store = newStore();
    const tar = tarBytes([{ type: "dir", path: "ro/", mode: 0o555 }, { type: "file", path: "ro/f", data: "f", mode: 0o444 }]);
    const { digest } = store.blobs.putBytes(tar);
    const diffId = `sha256:${hex(tar)}`;
    await unpackLayer(store.root, store.blobs.path(digest), diffId, "application/vnd.oci.image.layer.v1.tar");
    expect(statSync(join(layerDir(store.root, diffId), "ro")).mode & 0o777).toBe(0o555);
    removeLayer(store.root, diffId);
    expect(existsSync(layerDir(store.root, diffId))).toBe(false);
    expect(tmpEntries(store)).toEqual([]);
  });

  test("an unknown layer media type is refused before anything is written", async () => {
    const store = newStore();
    const tar = layerTar({ a: "a" });
    const { digest } = store.blobs.putBytes(tar);
    await expect(unpackLayer(store.root, store.blobs.path(digest), `sha256:${hex(tar)}`, "application/vnd.example.foreign"))
      .rejects.toThrow('unsupported layer media type "application/vnd.example.foreign"');
    expect(tmpEntries(store)).toEqual([]);
  });

  test("layerDir() validates the diffId before building a path", () => {
    expect(() => layerDir("/r", "sha256:../../x")).toThrow("invalid layer diff_id");
  });
});
