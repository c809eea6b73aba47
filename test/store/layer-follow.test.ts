import { afterEach, describe, expect, test } from "bun:test";
import { gzipSync } from "node:zlib";
import { LayerBatch } from "../../src/store/layer-batch.ts";
import { GrowingBlob } from "../../src/store/layer-follow.ts";
import { isUnpacked } from "../../src/store/layer-store.ts";
import { hex, layerTar } from "./archive-helpers.ts";
import { cleanTempDirs, newStore, tmpEntries } from "./store-helpers.ts";

afterEach(cleanTempDirs);

const GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";

/** Stages `bytes` slowly, extracting the layer from the staging file as it grows. */
async function streamed(store: ReturnType<typeof newStore>, bytes: Uint8Array, diffId: string, batch: LayerBatch, digest?: string) {
  const growing = new GrowingBlob();
  let job: Promise<unknown> | undefined;
  async function* slow() {
    for (let i = 0; i < bytes.length; i += 97) {
      await Bun.sleep(1);
      yield bytes.subarray(i, i + 97);
    }
  }
  const staging = store.blobs.stage(slow(), {
    expected: { digest: digest ?? `sha256:${hex(bytes)}`, size: bytes.length },
    onOpen: (path) => { job = batch.extract({ blobPath: path, diffId, mediaType: GZIP, growing }); },
  });
  const staged = await staging.then((s) => { growing.finish(s.size); return s; }, (err) => { growing.fail(err); return undefined; });
  return { staged, job: job! };
}

describe("unpacking a blob while it downloads", () => {
  test("a layer extracted from a growing staging file is kept once the blob checks out", async () => {
    const store = newStore();
    const batch = new LayerBatch(store.root, { ownerPid: process.pid });
    const tar = layerTar({ a: "a".repeat(5000), b: "b" });
    const diffId = `sha256:${hex(tar)}`;
    const { staged, job } = await streamed(store, gzipSync(tar), diffId, batch);
    expect(staged).toBeDefined();
    expect(((await job) as { entries: number }).entries).toBe(2);
    batch.commit();
    expect(isUnpacked(store.root, diffId)).toBe(true);
    store.blobs.discard(staged!);
    expect(tmpEntries(store)).toEqual([]);
  });

  test("a blob that fails its digest check fails the extraction and leaves nothing", async () => {
    const store = newStore();
    const batch = new LayerBatch(store.root, { ownerPid: process.pid });
    const tar = layerTar({ a: "a" });
    const diffId = `sha256:${hex(tar)}`;
    const { staged, job } = await streamed(store, gzipSync(tar), diffId, batch, `sha256:${"1".repeat(64)}`);
    expect(staged).toBeUndefined();
    await expect(job).rejects.toThrow("download failed");
    batch.commit();
    expect(isUnpacked(store.root, diffId)).toBe(false);
    expect(tmpEntries(store)).toEqual([]);
  });

  test("discard() stops an extraction waiting for more bytes", async () => {
    const store = newStore();
    const batch = new LayerBatch(store.root, { ownerPid: process.pid });
    const tar = layerTar({ a: "a" });
    const { digest } = store.blobs.putBytes(gzipSync(tar));
    const job = batch.extract({ blobPath: store.blobs.path(digest), diffId: `sha256:${hex(tar)}`, mediaType: GZIP, growing: new GrowingBlob() });
    await Bun.sleep(20);
    await batch.discard();
    await expect(job).rejects.toThrow("aborted");
    expect(tmpEntries(store)).toEqual([]);
  });
});
