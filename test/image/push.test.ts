/**
 * pushImage() against a recording fake registry: the order Docker uses
 * (HEAD, then mount, then upload), manifest bytes unchanged, chunk size passed on.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { RrError } from "../../src/errors.ts";
import { readFileStream } from "../../src/image/decompress.ts";
import { mountSources, pushImage, type BlobPusher, type PushEvent } from "../../src/image/push.ts";
import { parseReference, type Reference } from "../../src/image/reference.ts";
import { loadArchive } from "../../src/store/load-archive.ts";
import { multiLayerImage, writeOciArchive } from "../fixtures/images.ts";
import { cleanTempDirs, newStore, tempDir } from "../store/store-helpers.ts";

afterEach(cleanTempDirs);

class FakeRegistry implements BlobPusher {
  calls: string[] = [];
  blobs = new Map<string, Uint8Array>();
  manifests = new Map<string, { bytes: Uint8Array; mediaType: string }>();
  mountable = new Set<string>();
  async headBlob(_ref: Reference, digest: string) { this.calls.push(`HEAD ${digest.slice(7, 15)}`); return this.blobs.has(digest); }
  async mountBlob(_ref: Reference, digest: string, from: string) {
    this.calls.push(`MOUNT ${digest.slice(7, 15)} from ${from}`);
    return this.mountable.has(digest);
  }
  async uploadBlob(_ref: Reference, digest: string, size: number, source: AsyncIterable<Uint8Array>, opts?: { chunkSize?: number }) {
    const parts: Uint8Array[] = [];
    for await (const c of source) parts.push(c);
    const bytes = Buffer.concat(parts);
    expect(bytes.length).toBe(size);
    this.calls.push(`UPLOAD ${digest.slice(7, 15)}${opts?.chunkSize ? ` chunk=${opts.chunkSize}` : ""}`);
    this.blobs.set(digest, bytes);
  }
  async putManifest(ref: Reference, bytes: Uint8Array, mediaType: string) {
    this.calls.push(`PUT manifest ${ref.tag}`);
    this.manifests.set(ref.tag!, { bytes, mediaType });
    return `sha256:${new Bun.CryptoHasher("sha256").update(bytes).digest("hex")}`;
  }
}

async function loaded() {
  const store = newStore();
  const file = join(tempDir(), "ml.tar");
  const { manifestDigest } = writeOciArchive(file, { ...multiLayerImage(), repoTags: ["127.0.0.1:5000/src/multi:1"], compress: "gzip" });
  await loadArchive(store, readFileStream(file));
  return { store, image: store.images.resolve("127.0.0.1:5000/src/multi:1"), manifestDigest };
}

describe("pushImage()", () => {
  test("uploads every blob once, then the stored manifest bytes unchanged", async () => {
    const { store, image, manifestDigest } = await loaded();
    const reg = new FakeRegistry();
    const events: PushEvent[] = [];
    const dest = parseReference("127.0.0.1:5000/dst/multi:v1");
    const result = await pushImage(reg, store.blobs, image, dest, { onBlob: (e) => events.push(e) });
    expect(result.digest).toBe(manifestDigest);
    expect(Buffer.from(reg.manifests.get("v1")!.bytes).equals(store.blobs.readBytes(manifestDigest))).toBe(true);
    expect(reg.manifests.get("v1")!.mediaType).toBe("application/vnd.oci.image.manifest.v1+json");
    const [l1, l2] = image.layers.map((l) => l.blobDigest.slice(7, 15));
    const cfg = image.id.slice(7, 15);
    expect(reg.calls).toEqual([
      `HEAD ${l1}`, `MOUNT ${l1} from src/multi`, `UPLOAD ${l1}`,
      `HEAD ${l2}`, `MOUNT ${l2} from src/multi`, `UPLOAD ${l2}`,
      `HEAD ${cfg}`, `MOUNT ${cfg} from src/multi`, `UPLOAD ${cfg}`,
      "PUT manifest v1",
    ]);
    expect(events.map((e) => [e.kind, e.id, e.outcome.status])).toEqual([
      ["layer", image.layers[0]!.diffId, "pushed"], ["layer", image.layers[1]!.diffId, "pushed"], ["config", image.id, "pushed"],
    ]);
  });

  test("skips blobs the registry has, mounts what it can, passes the chunk size on", async () => {
    const { store, image } = await loaded();
    const reg = new FakeRegistry();
    reg.blobs.set(image.layers[0]!.blobDigest, new Uint8Array());
    reg.mountable.add(image.layers[1]!.blobDigest);
    const events: PushEvent[] = [];
    await pushImage(reg, store.blobs, image, parseReference("127.0.0.1:5000/dst/multi:v1"), { chunkSize: 4096, onBlob: (e) => events.push(e) });
    expect(events.map((e) => e.outcome)).toEqual([{ status: "exists" }, { status: "mounted", from: "src/multi" }, { status: "pushed" }]);
    expect(reg.calls).toContain(`UPLOAD ${image.id.slice(7, 15)} chunk=4096`);
  });

  test("a registry that computes another manifest digest is an error", async () => {
    const { store, image } = await loaded();
    const reg = new FakeRegistry();
    reg.putManifest = async () => `sha256:${"0".repeat(64)}`;
    const err = await pushImage(reg, store.blobs, image, parseReference("127.0.0.1:5000/dst/multi:v1")).catch((e) => e);
    expect(err).toBeInstanceOf(RrError);
    expect(err.message).toContain("stored the manifest");
  });

  test("mountSources() names other repositories of the same registry only", async () => {
    const { image } = await loaded();
    const named = { ...image, names: ["127.0.0.1:5000/src/multi:1", "127.0.0.1:5000/dst/multi:old", "docker.io/library/multi:latest", "127.0.0.1:5000/other:2"] };
    expect(mountSources(named, parseReference("127.0.0.1:5000/dst/multi:v1"))).toEqual(["src/multi", "other"]);
  });
});
