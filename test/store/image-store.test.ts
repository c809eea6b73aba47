import { afterEach, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ConflictError, NotFoundError, UsageError } from "../../src/errors.ts";
import { ImageStore } from "../../src/store/image-store.ts";
import { loadArchive } from "../../src/store/load-archive.ts";
import type { Store } from "../../src/store/store.ts";
import { dockerArchive, layerTar } from "./archive-helpers.ts";
import { chunked, newStore, cleanTempDirs } from "./store-helpers.ts";

afterEach(cleanTempDirs);

const shared = layerTar({ "bin/sh": "shared base" });

async function add(store: Store, tags: string[], files: Record<string, string>) {
  const [loaded] = await loadArchive(store, chunked(dockerArchive({ layers: [shared, layerTar(files)], repoTags: tags })));
  return loaded!.image;
}

const names = (store: Store) => Object.fromEntries(store.images.list().map((i) => [i.id, [...i.names].sort()]));

describe("ImageStore", () => {
  test("resolve() finds images by short name, full name, id and id prefix", async () => {
    const store = newStore();
    const img = await add(store, ["busybox:latest", "localhost:5000/x:y"], { a: "1" });
    const hex = img.id.slice(7);
    for (const q of ["busybox", "busybox:latest", "docker.io/library/busybox:latest", "localhost:5000/x:y", img.id, hex, hex.slice(0, 12), `sha256:${hex.slice(0, 5)}`, `busybox@${img.manifestDigest}`]) {
      expect(store.images.resolve(q).id).toBe(img.id);
    }
  });

  test("resolve() says what is missing and how to get it", async () => {
    const store = newStore();
    let err: unknown;
    try { store.images.resolve("nosuch"); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toBe("No such image: nosuch");
    expect((err as NotFoundError).hint).toBe("Load it with 'rr load -i FILE' or 'rr import FILE NAME'.");
  });

  test("resolve() refuses an ambiguous id prefix", async () => {
    const store = newStore();
    const ids: string[] = [];
    for (let i = 0; ids.length < 2 || new Set(ids.map((x) => x[7])).size === ids.length; i++) {
      ids.push((await add(store, [], { n: String(i) })).id);
    }
    const dup = ids.find((x, i) => ids.findIndex((y) => y[7] === x[7]) !== i)!;
    expect(() => store.images.resolve(dup[7]!)).toThrow(ConflictError);
    expect(() => store.images.resolve(dup[7]!)).toThrow("is ambiguous");
  });

  test("tag() adds names, moves a name from another image, and refuses digests", async () => {
    const store = newStore();
    const a = await add(store, ["a:1"], { a: "1" });
    const b = await add(store, ["b:1"], { b: "1" });
    store.images.tag(a, "a:2");
    expect(store.images.tag(a, "b:1").displaced).toEqual([{ name: "docker.io/library/b:1", id: b.id }]);
    expect(names(store)).toEqual({
      [a.id]: ["docker.io/library/a:1", "docker.io/library/a:2", "docker.io/library/b:1"],
      [b.id]: [],
    });
    expect(() => store.images.tag(a, `x@sha256:${"a".repeat(64)}`)).toThrow(UsageError);
    expect(() => store.images.tag(a, "Bad")).toThrow("repository name must be lowercase");
  });

  test("untag() keeps an image without names as <none>; remove() deletes it", async () => {
    const store = newStore();
    const a = await add(store, ["a:1"], { a: "1" });
    expect(store.images.untag("a:1").names).toEqual([]);
    expect(names(store)).toEqual({ [a.id]: [] });
    expect(() => store.images.untag("a:1")).toThrow(NotFoundError);
    store.images.remove(a.id);
    expect(store.images.list()).toEqual([]);
  });

  test("remove() deletes only the blobs and layers no other image uses", async () => {
    const store = newStore();
    const a = await add(store, ["a:1"], { a: "1" });
    const b = await add(store, ["b:1"], { b: "1" });
    const before = store.blobs.list().length;
    const { unusedDiffIds, deletedBlobs } = store.images.remove(a.id);
    expect(unusedDiffIds).toEqual([a.layers[1]!.diffId]);
    expect(deletedBlobs.sort()).toEqual([a.manifestDigest, a.id, a.layers[1]!.blobDigest].sort());
    expect(store.blobs.list()).toHaveLength(before - 3);
    expect(store.blobs.has(b.layers[0]!.blobDigest)).toBe(true);
    expect(store.images.resolve("b:1").id).toBe(b.id);
  });

  test("index.json stays a valid OCI index with a full ref.name per name", async () => {
    const store = newStore();
    await add(store, ["busybox:latest"], { a: "1" });
    const index = JSON.parse(readFileSync(store.layout.index, "utf8"));
    expect(index.schemaVersion).toBe(2);
    expect(index.manifests.map((m: { annotations: Record<string, string> }) => m.annotations["org.opencontainers.image.ref.name"]))
      .toEqual(["docker.io/library/busybox:latest"]);
    // No temporaries of the atomic writes are left beside it.
    expect(readdirSync(store.root).filter((n) => n.startsWith(".tmp-"))).toEqual([]);
  });

  test("concurrent tag commands from many processes all land (locked, atomic index writes)", async () => {
    const store = newStore();
    const img = await add(store, ["base:1"], { a: "1" });
    const script = `
      import { ImageStore } from ${JSON.stringify(join(import.meta.dir, "../../src/store/image-store.ts"))};
      const s = new ImageStore(process.argv[1]);
      const img = s.resolve("base:1");
      for (let i = 0; i < 5; i++) s.tag(img, "t" + process.argv[2] + ":" + i);
    `;
    const procs = Array.from({ length: 6 }, (_, n) =>
      Bun.spawn([process.execPath, "-e", script, store.root, String(n)], { stderr: "pipe" }));
    const codes = await Promise.all(procs.map((p) => p.exited));
    expect(codes).toEqual([0, 0, 0, 0, 0, 0]);
    const all = new ImageStore(store.root).resolve("base:1").names;
    expect(all).toHaveLength(1 + 6 * 5);
    expect(img.id).toBe(store.images.resolve("t5:4").id);
  });
});
