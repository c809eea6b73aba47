import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync, zstdCompressSync } from "node:zlib";
import { DigestMismatchError } from "../../src/errors.ts";
import { readFileStream } from "../../src/image/decompress.ts";
import { tarBytes } from "../../src/image/tar-writer.ts";
import { loadArchive } from "../../src/store/load-archive.ts";
import { busyboxLayer, multiLayerImage, writeDockerArchive, writeOciArchive } from "../fixtures/images.ts";
import { dockerArchive, hex, layerTar } from "./archive-helpers.ts";
import { chunked, newStore, tempDir, tmpEntries, cleanTempDirs } from "./store-helpers.ts";

afterEach(cleanTempDirs);

const BUSYBOX = { repoTags: ["busybox:latest"], layers: [busyboxLayer()] };

describe("loadArchive()", () => {
  test("loads a docker-save archive: names, config, uncompressed OCI layers", async () => {
    const store = newStore();
    const file = join(tempDir(), "bb.tar");
    const { configDigest, diffIds } = writeDockerArchive(file, BUSYBOX);
    const [loaded] = await loadArchive(store, readFileStream(file));
    expect(loaded!.names).toEqual(["docker.io/library/busybox:latest"]);
    expect(loaded!.image.id).toBe(configDigest);
    expect(loaded!.image.layers.map((l) => l.diffId)).toEqual(diffIds);
    expect(loaded!.image.layers[0]!.blobDigest).toBe(diffIds[0]!);
    expect(loaded!.image.layers[0]!.mediaType).toBe("application/vnd.oci.image.layer.v1.tar");
    expect(loaded!.image.config.config?.Cmd).toEqual(["sh"]);
    expect(store.images.resolve("busybox").id).toBe(configDigest);
    expect(tmpEntries(store)).toEqual([]);
  });

  test("loads a multi-layer OCI archive with gzip layers, keeping blobs and manifest digest", async () => {
    const store = newStore();
    const file = join(tempDir(), "ml.tar");
    const { manifestDigest, configDigest } = writeOciArchive(file, { ...multiLayerImage(), compress: "gzip" });
    const [loaded] = await loadArchive(store, readFileStream(file));
    expect(loaded!.image.manifestDigest).toBe(manifestDigest);
    expect(loaded!.image.id).toBe(configDigest);
    expect(loaded!.names).toEqual(["docker.io/rr-test/multilayer:latest"]);
    expect(loaded!.image.layers.map((l) => l.mediaType)).toEqual([
      "application/vnd.oci.image.layer.v1.tar+gzip", "application/vnd.oci.image.layer.v1.tar+gzip",
    ]);
    for (const l of loaded!.image.layers) expect(store.blobs.has(l.blobDigest)).toBe(true);
  });

  test("reads gzip- and zstd-compressed archive files", async () => {
    const bytes = dockerArchive({ layers: [layerTar({ a: "a" })], repoTags: ["x:1"] });
    for (const packed of [gzipSync(bytes), zstdCompressSync(bytes)]) {
      const store = newStore();
      const [loaded] = await loadArchive(store, chunked(packed));
      expect(loaded!.names).toEqual(["docker.io/library/x:1"]);
    }
  });

  test("reads Docker 25+ archives (blobs/sha256 inside) and duplicate layers linked by symlink", async () => {
    const l1 = layerTar({ one: "1" });
    for (const variant of [{ blobLayout: true }, { duplicateAsSymlink: true }]) {
      const store = newStore();
      const [loaded] = await loadArchive(store, chunked(dockerArchive({ layers: [l1, l1], repoTags: ["dup:1"], ...variant })));
      expect(loaded!.image.layers.map((l) => l.blobDigest)).toEqual([`sha256:${hex(l1)}`, `sha256:${hex(l1)}`]);
    }
  });

  test("keeps compressed layers of a docker archive and checks them against the diffId uncompressed", async () => {
    const tar = layerTar({ z: "zz" });
    const store = newStore();
    const bytes = dockerArchive({ layers: [gzipSync(tar)], diffIds: [`sha256:${hex(tar)}`], repoTags: ["gz:1"] });
    const [loaded] = await loadArchive(store, chunked(bytes));
    expect(loaded!.image.layers[0]!.mediaType).toBe("application/vnd.oci.image.layer.v1.tar+gzip");
    expect(loaded!.image.layers[0]!.diffId).toBe(`sha256:${hex(tar)}`);
  });

  test("an unnamed image is loaded without names", async () => {
    const store = newStore();
    const [loaded] = await loadArchive(store, chunked(dockerArchive({ layers: [layerTar({ a: "b" })] })));
    expect(loaded!.names).toEqual([]);
    expect(store.images.list().map((i) => i.names)).toEqual([[]]);
  });

  test("a wrong layer digest in a docker archive is refused, the store unchanged and still usable", async () => {
    const store = newStore();
    const good = dockerArchive({ layers: [layerTar({ a: "a" })], repoTags: ["good:1"] });
    await loadArchive(store, chunked(good));
    const indexBefore = readFileSync(store.layout.index, "utf8");
    const blobsBefore = store.blobs.list().sort();
    const bad = dockerArchive({ layers: [layerTar({ evil: "x" })], diffIds: [`sha256:${"1".repeat(64)}`], repoTags: ["bad:1"] });
    let err: unknown;
    try { await loadArchive(store, chunked(bad)); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(DigestMismatchError);
    expect((err as Error).message).toContain("wrong digest in an archive: layer 1 of image \"docker.io/library/bad:1\"");
    expect(readFileSync(store.layout.index, "utf8")).toBe(indexBefore);
    expect(store.blobs.list().sort()).toEqual(blobsBefore);
    expect(tmpEntries(store)).toEqual([]);
    const [again] = await loadArchive(store, chunked(dockerArchive({ layers: [layerTar({ c: "c" })], repoTags: ["after:1"] })));
    expect(again!.names).toEqual(["docker.io/library/after:1"]);
    expect(store.images.list()).toHaveLength(2);
  });

  test("an OCI blob whose bytes do not match its name is refused", async () => {
    const store = newStore();
    const name = `blobs/sha256/${"2".repeat(64)}`;
    const bytes = tarBytes([
      { type: "file", path: "oci-layout", data: "{}" },
      { type: "file", path: "index.json", data: JSON.stringify({ schemaVersion: 2, manifests: [] }) },
      { type: "file", path: name, data: "not that" },
    ]);
    await expect(loadArchive(store, chunked(bytes))).rejects.toThrow(`archive file "${name}": digest mismatch`);
    expect(tmpEntries(store)).toEqual([]);
    expect(store.blobs.list()).toEqual([]);
  });

  test("a truncated archive is a clear error and leaves no temporary files", async () => {
    const store = newStore();
    const file = join(tempDir(), "bb.tar");
    writeDockerArchive(file, BUSYBOX);
    const whole = readFileSync(file);
    for (const cut of [1000, Math.floor(whole.length / 2), whole.length - 3000]) {
      await expect(loadArchive(store, chunked(whole.subarray(0, cut)))).rejects.toThrow(/truncated|missing/);
      expect(tmpEntries(store)).toEqual([]);
    }
    const gz = gzipSync(whole);
    await expect(loadArchive(store, chunked(gz.subarray(0, gz.length / 2)))).rejects.toThrow(/gzip|truncated/);
    expect(tmpEntries(store)).toEqual([]);
    expect(store.images.list()).toEqual([]);
    expect(readdirSync(store.layout.blobs)).toEqual([]);
  });

  test("something that is not an image archive says what rr load expects", async () => {
    const store = newStore();
    await expect(loadArchive(store, chunked(layerTar({ "etc/passwd": "root" })))).rejects.toThrow("not an image archive");
    await expect(loadArchive(store, chunked(new TextEncoder().encode("hello")))).rejects.toThrow(/tar/);
    expect(tmpEntries(store)).toEqual([]);
  });

  test("loading a name held by another image moves it; the old image stays as <none>", async () => {
    const store = newStore();
    const [first] = await loadArchive(store, chunked(dockerArchive({ layers: [layerTar({ v: "1" })], repoTags: ["app:latest"] })));
    const [second] = await loadArchive(store, chunked(dockerArchive({ layers: [layerTar({ v: "2" })], repoTags: ["app:latest"] })));
    expect(second!.displaced).toEqual([{ name: "docker.io/library/app:latest", id: first!.image.id }]);
    const byId = new Map(store.images.list().map((i) => [i.id, i.names]));
    expect(byId.get(first!.image.id)).toEqual([]);
    expect(byId.get(second!.image.id)).toEqual(["docker.io/library/app:latest"]);
  });

  test("the same image through another archive format only gains names", async () => {
    const store = newStore();
    const dir = tempDir();
    writeDockerArchive(join(dir, "d.tar"), BUSYBOX);
    writeOciArchive(join(dir, "o.tar"), { ...BUSYBOX, repoTags: ["bb:oci"], compress: "zstd" });
    const [a] = await loadArchive(store, readFileStream(join(dir, "d.tar")));
    const [b] = await loadArchive(store, readFileStream(join(dir, "o.tar")));
    expect(b!.image.id).toBe(a!.image.id);
    expect(b!.displaced).toEqual([]);
    expect(store.images.list()).toHaveLength(1);
    expect(store.images.list()[0]!.names.sort()).toEqual(["docker.io/library/bb:oci", "docker.io/library/busybox:latest"]);
    expect(existsSync(store.layout.tmp)).toBe(true);
  });
});
