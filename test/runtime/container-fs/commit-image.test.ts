/** The committed image as the store keeps it: base layers plus one, config, history, manifest format. */
import { afterEach, describe, expect, test } from "bun:test";
import { commitImage, EMPTY_TAR_DIGEST } from "../../../src/store/commit-image.ts";
import { importRootfs } from "../../../src/store/import-rootfs.ts";
import { tarBytes } from "../../../src/image/tar-writer.ts";
import { MediaType, parseManifest } from "../../../src/image/image-config.ts";
import { cleanTempDirs, newStore } from "../../store/store-helpers.ts";

afterEach(cleanTempDirs);

async function base() {
  const store = newStore();
  const rootfs = tarBytes([{ type: "file", path: "f", data: "base" }]);
  const image = await importRootfs(store, (async function* () { yield rootfs; })(), { names: ["base:1"], sourceLabel: "-" });
  return { store, image };
}

describe("commitImage", () => {
  test("adds one layer, the config and a history entry to the base image", async () => {
    const { store, image } = await base();
    const layer = await store.blobs.stage([tarBytes([{ type: "file", path: "g", data: "new" }])]);
    const out = commitImage(store, {
      base: image, config: { Cmd: ["cat", "/g"] }, layer, createdBy: "sh -c echo", author: "me", comment: "msg", names: ["docker.io/library/c:1"],
      now: new Date("2024-01-02T03:04:05Z"),
    });
    expect(out.names).toEqual(["docker.io/library/c:1"]);
    expect(out.config.rootfs.diff_ids).toEqual([...image.config.rootfs.diff_ids, layer.digest]);
    expect(out.layers.map((l) => l.blobDigest)).toEqual([...image.layers.map((l) => l.blobDigest), layer.digest]);
    expect(out.config.config).toEqual({ Cmd: ["cat", "/g"] });
    expect(out.config.author).toBe("me");
    expect(out.config.history!.at(-1)).toEqual({ created: "2024-01-02T03:04:05.000Z", created_by: "sh -c echo", author: "me", comment: "msg" });
    expect(out.config.history).toHaveLength(image.config.history!.length + 1);
    const manifest = parseManifest(store.blobs.readBytes(out.manifestDigest));
    expect(manifest.mediaType).toBe(MediaType.ociManifest);
    expect(manifest.layers.at(-1)!.mediaType).toBe(MediaType.ociLayer);
    expect(store.blobs.has(layer.digest)).toBe(true);
  });

  test("no changes: no layer, an empty_layer history entry", async () => {
    const { store, image } = await base();
    const out = commitImage(store, { base: image, config: {}, createdBy: "true", names: [] });
    expect(out.layers).toHaveLength(image.layers.length);
    expect(out.config.history!.at(-1)!.empty_layer).toBe(true);
    expect(out.names).toEqual([]);
  });

  test("the empty-layer digest is that of a tar with no entries", () => {
    const hasher = new Bun.CryptoHasher("sha256");
    hasher.update(tarBytes([]));
    expect(`sha256:${hasher.digest("hex")}`).toBe(EMPTY_TAR_DIGEST);
  });

  test("a base whose layer blob is gone is refused and nothing is added", async () => {
    const { store, image } = await base();
    const layer = await store.blobs.stage([tarBytes([{ type: "file", path: "g", data: "new" }])]);
    store.blobs.delete(image.layers[0]!.blobDigest);
    const before = store.blobs.list().sort();
    expect(() => commitImage(store, { base: image, config: {}, layer, createdBy: "x", names: ["c:2"] })).toThrow("is missing from the store");
    expect(store.blobs.list().sort()).toEqual(before);
    expect(store.images.find("c:2")).toBeUndefined();
  });
});
