import { afterEach, describe, expect, test } from "bun:test";
import { gzipSync } from "node:zlib";
import { LayerBatch } from "../../src/store/layer-batch.ts";
import { isUnpacked } from "../../src/store/layer-store.ts";
import { hex, layerTar } from "./archive-helpers.ts";
import { cleanTempDirs, newStore, tmpEntries } from "./store-helpers.ts";

afterEach(cleanTempDirs);

function layer(store: ReturnType<typeof newStore>, files: Record<string, string>) {
  const tar = layerTar(files);
  const { digest } = store.blobs.putBytes(gzipSync(tar));
  return { blobPath: store.blobs.path(digest), diffId: `sha256:${hex(tar)}`, mediaType: "application/vnd.oci.image.layer.v1.tar+gzip" };
}

describe("LayerBatch", () => {
  test("extract() keeps layers out of layers/ until commit()", async () => {
    const store = newStore();
    const batch = new LayerBatch(store.root, { ownerPid: process.pid });
    const a = layer(store, { a: "a" }), b = layer(store, { b: "b" }), c = layer(store, { c: "c" });
    const results = await Promise.all([a, b, c].map((j) => batch.extract(j)));
    expect(results.map((r) => r?.entries)).toEqual([1, 1, 1]);
    expect([a, b, c].some((j) => isUnpacked(store.root, j.diffId))).toBe(false);
    expect(tmpEntries(store)).toHaveLength(3);
    batch.commit();
    expect([a, b, c].every((j) => isUnpacked(store.root, j.diffId))).toBe(true);
    expect(tmpEntries(store)).toEqual([]);
  });

  test("the same layer twice is extracted once", async () => {
    const store = newStore();
    const batch = new LayerBatch(store.root, { ownerPid: process.pid });
    const a = layer(store, { a: "a" });
    const results = await Promise.all([batch.extract(a), batch.extract(a)]);
    expect(results.filter((r) => r !== undefined)).toHaveLength(1);
    expect(tmpEntries(store)).toHaveLength(1);
  });

  test("discard() removes what was extracted and refuses what was queued", async () => {
    const store = newStore();
    const batch = new LayerBatch(store.root, { ownerPid: process.pid, concurrency: 1 });
    const a = layer(store, { a: "a" }), b = layer(store, { b: "b" });
    const first = batch.extract(a);
    const queued = batch.extract(b);
    await first;
    await batch.discard();
    await expect(queued).rejects.toThrow("aborted");
    expect(tmpEntries(store)).toEqual([]);
    expect(isUnpacked(store.root, a.diffId)).toBe(false);
  });

  test("a layer that does not match its diffId fails alone and leaves no tmp entry", async () => {
    const store = newStore();
    const batch = new LayerBatch(store.root, { ownerPid: process.pid });
    const good = layer(store, { a: "a" });
    const bad = { ...layer(store, { b: "b" }), diffId: `sha256:${"0".repeat(64)}` };
    const [g, x] = await Promise.allSettled([batch.extract(good), batch.extract(bad)]);
    expect(g.status).toBe("fulfilled");
    expect(x.status).toBe("rejected");
    expect(String((x as PromiseRejectedResult).reason)).toContain("digest mismatch");
    expect(tmpEntries(store)).toHaveLength(1);
  });
});
