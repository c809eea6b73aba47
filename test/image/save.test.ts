/**
 * The archive writers against a real store, no root needed: what they write
 * reads back through rr's own loader, layers come out uncompressed in a
 * docker-archive and as stored in an OCI archive, and damage is caught.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { DigestMismatchError } from "../../src/errors.ts";
import { readFileStream } from "../../src/image/decompress.ts";
import { writeDockerArchive as saveDocker } from "../../src/image/save-docker-archive.ts";
import { writeOciArchive as saveOci } from "../../src/image/save-oci-archive.ts";
import { loadArchive } from "../../src/store/load-archive.ts";
import type { Store } from "../../src/store/store.ts";
import { busyboxLayer, multiLayerImage, sha256, writeOciArchive } from "../fixtures/images.ts";
import { concat } from "../../src/image/tar-writer.ts";
import { readAll, text } from "./tar-helpers.ts";
import { chunked, cleanTempDirs, newStore, tempDir } from "../store/store-helpers.ts";

afterEach(cleanTempDirs);

async function storeWith(compress: "gzip" | "zstd" | "none"): Promise<{ store: Store; manifestDigest: string }> {
  const store = newStore();
  const file = join(tempDir(), "in.tar");
  const { manifestDigest } = writeOciArchive(file, { ...multiLayerImage(), compress });
  await loadArchive(store, readFileStream(file));
  return { store, manifestDigest };
}

async function collect(write: (sink: (c: Uint8Array) => void) => Promise<void>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  await write((c) => parts.push(c.slice()));
  return concat(parts);
}

describe("writeDockerArchive()", () => {
  for (const compress of ["gzip", "zstd", "none"] as const) {
    test(`writes ${compress} layers uncompressed, each hashing to its diff_id`, async () => {
      const { store } = await storeWith(compress);
      const image = store.images.resolve("rr-test/multilayer");
      const bytes = await collect((sink) => saveDocker([{ image, names: image.names }], store.blobs, sink));
      const entries = await readAll(chunked(bytes));
      const manifest = JSON.parse(text(entries.find((e) => e.path === "manifest.json")!.data));
      expect(manifest).toEqual([{
        Config: `${image.id.slice(7)}.json`,
        RepoTags: ["rr-test/multilayer:latest"],
        Layers: image.layers.map((l) => `${l.diffId.slice(7)}/layer.tar`),
      }]);
      for (const l of image.layers) {
        const data = entries.find((e) => e.path === `${l.diffId.slice(7)}/layer.tar`)!.data;
        expect(`sha256:${sha256(data)}`).toBe(l.diffId);
      }
      expect(JSON.parse(text(entries.find((e) => e.path === "repositories")!.data))).toEqual({
        "rr-test/multilayer": { latest: image.layers.at(-1)!.diffId.slice(7) },
      });
    });
  }

  test("an image without names gets RepoTags null and no repositories file", async () => {
    const { store } = await storeWith("none");
    const image = store.images.resolve("rr-test/multilayer");
    const entries = await readAll(chunked(await collect((sink) => saveDocker([{ image, names: [] }], store.blobs, sink))));
    expect(JSON.parse(text(entries.find((e) => e.path === "manifest.json")!.data))[0].RepoTags).toBeNull();
    expect(entries.some((e) => e.path === "repositories")).toBe(false);
  });

  test("a compressed blob that does not decompress to its diff_id fails before its layer is written", async () => {
    const { store } = await storeWith("gzip");
    const image = store.images.resolve("rr-test/multilayer");
    // Swap the second layer's blob for another valid gzip blob under the same name.
    const other = image.layers[0]!;
    writeFileSync(store.blobs.path(image.layers[1]!.blobDigest), await Bun.file(store.blobs.path(other.blobDigest)).bytes());
    const parts: Uint8Array[] = [];
    const err = await saveDocker([{ image, names: [] }], store.blobs, (c) => parts.push(c)).catch((e) => e);
    expect(err).toBeInstanceOf(DigestMismatchError);
    expect(text(concat(parts))).not.toContain(`${image.layers[1]!.diffId.slice(7)}/layer.tar`);
  });

  test("round trip: what it writes loads into a fresh store as the same image", async () => {
    const { store } = await storeWith("zstd");
    const image = store.images.resolve("rr-test/multilayer");
    const bytes = await collect((sink) => saveDocker([{ image, names: image.names }], store.blobs, sink));
    const [loaded] = await loadArchive(newStore(), chunked(bytes));
    expect(loaded!.image.id).toBe(image.id);
    expect(loaded!.names).toEqual(image.names);
  });
});

describe("writeOciArchive()", () => {
  test("keeps blobs as stored, so the manifest digest survives a round trip", async () => {
    const { store, manifestDigest } = await storeWith("gzip");
    const image = store.images.resolve("rr-test/multilayer");
    const bytes = await collect((sink) => saveOci([{ image, names: image.names }], store.blobs, sink));
    const entries = await readAll(chunked(bytes));
    const index = JSON.parse(text(entries.find((e) => e.path === "index.json")!.data));
    expect(index.manifests).toEqual([{
      mediaType: "application/vnd.oci.image.manifest.v1+json", digest: manifestDigest, size: expect.any(Number),
      annotations: {
        "io.containerd.image.name": "docker.io/rr-test/multilayer:latest",
        "org.opencontainers.image.ref.name": "docker.io/rr-test/multilayer:latest",
      },
    }]);
    for (const l of image.layers) expect(entries.some((e) => e.path === `blobs/sha256/${l.blobDigest.slice(7)}`)).toBe(true);
    const [loaded] = await loadArchive(newStore(), chunked(bytes));
    expect(loaded!.image.manifestDigest).toBe(manifestDigest);
    expect(loaded!.names).toEqual(["docker.io/rr-test/multilayer:latest"]);
  });

  test("several images share blobs once; every name gets an index entry", async () => {
    const store = newStore();
    const file = join(tempDir(), "bb.tar");
    writeOciArchive(file, { repoTags: ["bb:1", "bb:2"], layers: [busyboxLayer()] });
    await loadArchive(store, readFileStream(file));
    const file2 = join(tempDir(), "ml.tar");
    writeOciArchive(file2, { ...multiLayerImage() });
    await loadArchive(store, readFileStream(file2));
    const items = [store.images.resolve("bb:1"), store.images.resolve("rr-test/multilayer")].map((image) => ({ image, names: image.names }));
    const bytes = await collect((sink) => saveOci(items, store.blobs, sink));
    const entries = await readAll(chunked(bytes));
    const index = JSON.parse(text(entries.find((e) => e.path === "index.json")!.data));
    expect(index.manifests.map((m: { annotations: Record<string, string> }) => m.annotations["io.containerd.image.name"]).sort()).toEqual([
      "docker.io/library/bb:1", "docker.io/library/bb:2", "docker.io/rr-test/multilayer:latest",
    ]);
    const paths = entries.map((e) => e.path);
    expect(paths.length).toBe(new Set(paths).size);
    const loaded = await loadArchive(newStore(), chunked(bytes));
    expect(loaded.map((l) => l.names.sort())).toEqual([["docker.io/library/bb:1", "docker.io/library/bb:2"], ["docker.io/rr-test/multilayer:latest"]]);
  });
});
