/**
 * Images as manifests referenced from the OCI layout's index.json. Each name
 * is one descriptor whose `org.opencontainers.image.ref.name` annotation is
 * the full reference (`docker.io/library/busybox:latest`); an image without
 * names keeps one descriptor without that annotation, so `<none>` images
 * still list and skopeo/umoci still see a valid layout.
 * Every index mutation happens under the store lock and is written atomically.
 */
import { readFileSync } from "node:fs";
import { ConflictError, NotFoundError, RrError, UsageError } from "../errors.ts";
import {
  ANNOTATION_REF_NAME, MediaType, parseConfig, parseManifest,
  type Descriptor, type ImageConfig, type ImageIndex, type ImageManifest,
} from "../image/image-config.ts";
import { parseReference } from "../image/reference.ts";
import { writeJsonAtomic } from "./atomic.ts";
import { BlobStore, sha256Digest, type StagedBlob } from "./blob-store.ts";
import { withLock } from "./lock.ts";
import { storeLayout } from "./paths.ts";

export interface LayerRecord {
  diffId: string;
  blobDigest: string;
  mediaType: string;
  size: number;
}

export interface ImageRecord {
  /** sha256 of the config blob: Docker's image ID. */
  id: string;
  manifestDigest: string;
  /** Full references, e.g. `docker.io/library/busybox:latest`. */
  names: string[];
  config: ImageConfig;
  layers: LayerRecord[];
  created?: string;
  /** Sum of the layer blobs: the uncompressed size for loaded and imported images. */
  size: number;
}

export interface AddImageInput {
  manifest: Uint8Array | ImageManifest;
  config: Uint8Array | ImageConfig;
  names: string[];
  /** Blobs written during the load, committed under the same lock as the index. */
  staged?: StagedBlob[];
}

export const NO_SUCH_IMAGE_HINT = "Load it with 'rr load -i FILE' or 'rr import FILE NAME'.";

const EMPTY_INDEX: ImageIndex = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] };

export class ImageStore {
  private readonly layout: ReturnType<typeof storeLayout>;
  private cache = new Map<string, Omit<ImageRecord, "names">>();

  constructor(readonly root: string, readonly blobs: BlobStore = new BlobStore(root)) {
    this.layout = storeLayout(root);
  }

  /** Every image, in index order, one record per manifest. */
  list(): ImageRecord[] {
    return this.recordsOf(this.readIndex());
  }

  /**
   * Finds an image by name (`busybox`, `busybox:1.36`, `name@sha256:…`),
   * by full id, or by an unambiguous id prefix — Docker's order.
   */
  resolve(refOrId: string): ImageRecord {
    const images = this.list();
    let ref;
    try { ref = parseReference(refOrId); } catch { ref = undefined; }
    if (ref) {
      const full = ref.toString();
      const byName = images.find((i) => i.names.includes(full));
      if (byName) return byName;
      if (ref.digest) {
        const byDigest = images.find((i) => i.manifestDigest === ref.digest || i.id === ref.digest);
        if (byDigest) return byDigest;
      }
    }
    const m = /^(?:sha256:)?([0-9a-f]{1,64})$/.exec(refOrId);
    if (m) {
      const hits = images.filter((i) => i.id.slice("sha256:".length).startsWith(m[1]!));
      const ids = new Set(hits.map((i) => i.id));
      if (ids.size > 1) {
        throw new ConflictError(`image id prefix "${refOrId}" is ambiguous: it matches ${ids.size} images`, { hint: "Use more characters of the id." });
      }
      if (hits.length) return hits[0]!;
    }
    throw new NotFoundError(`No such image: ${refOrId}`, { hint: NO_SUCH_IMAGE_HINT });
  }

  /** Like resolve, but undefined instead of NotFoundError. */
  find(refOrId: string): ImageRecord | undefined {
    try { return this.resolve(refOrId); } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  /**
   * Adds an image (or more names for it). Names held by another image move
   * to this one; that image stays as `<none>`, as in Docker.
   * Returns the record and the ids of images that lost a name.
   */
  addImage(input: AddImageInput): { image: ImageRecord; displaced: { name: string; id: string }[] } {
    const names = input.names.map((n) => canonicalName(n));
    const manifestBytes = toBytes(input.manifest);
    const configBytes = toBytes(input.config);
    const manifest = parseManifest(manifestBytes);
    const configDigest = sha256Digest(configBytes);
    if (manifest.config.digest !== configDigest) {
      throw new RrError(`manifest names config ${manifest.config.digest} but the config is ${configDigest}`);
    }
    return this.locked(() => {
      const index = this.readIndex();
      // The config digest is the image's identity (Docker's image ID): the
      // same image loaded again through another manifest (say gzip layers
      // instead of plain ones) only gains names; the copy already here wins.
      const same = this.recordsOf(index).find((r) => r.id === configDigest);
      if (same) {
        const d = index.manifests.find((m) => m.digest === same.manifestDigest)!;
        const displaced = this.assignNames(index, { mediaType: d.mediaType, digest: d.digest, size: d.size }, names);
        this.writeIndex(index);
        return { image: this.recordsOf(index).find((r) => r.manifestDigest === same.manifestDigest)!, displaced };
      }
      for (const s of input.staged ?? []) this.blobs.commit(s);
      this.blobs.putBytes(configBytes);
      const { digest: manifestDigest, size } = this.blobs.putBytes(manifestBytes);
      for (const l of manifest.layers) {
        if (!this.blobs.has(l.digest)) throw new RrError(`layer ${l.digest} of image ${configDigest} is missing from the store`);
      }
      const displaced = this.assignNames(index, { mediaType: manifest.mediaType ?? MediaType.ociManifest, digest: manifestDigest, size }, names);
      this.writeIndex(index);
      return { image: this.recordsOf(index).find((r) => r.manifestDigest === manifestDigest)!, displaced };
    });
  }

  /** Gives an image one more name (moving it from another image if needed). */
  tag(image: ImageRecord, name: string): { displaced: { name: string; id: string }[] } {
    const full = canonicalName(name);
    return this.locked(() => {
      const index = this.readIndex();
      const d = index.manifests.find((m) => m.digest === image.manifestDigest);
      if (!d) throw new NotFoundError(`No such image: ${image.id}`, { hint: NO_SUCH_IMAGE_HINT });
      const displaced = this.assignNames(index, { mediaType: d.mediaType, digest: d.digest, size: d.size }, [full]);
      this.writeIndex(index);
      return { displaced };
    });
  }

  /**
   * Removes one name. The image stays (as `<none>` when it was its last
   * name); `remove()` deletes it. Returns the image the name pointed to.
   */
  untag(name: string): ImageRecord {
    const full = parseReference(name).toString();
    return this.locked(() => {
      const index = this.readIndex();
      const at = index.manifests.findIndex((m) => m.annotations?.[ANNOTATION_REF_NAME] === full);
      if (at < 0) throw new NotFoundError(`No such image: ${name}`, { hint: NO_SUCH_IMAGE_HINT });
      const removed = index.manifests[at]!;
      const record = this.recordsOf({ ...index, manifests: [removed] })[0]!;
      index.manifests.splice(at, 1);
      if (!index.manifests.some((m) => m.digest === removed.digest)) {
        index.manifests.push(untagged(removed));
      }
      this.writeIndex(index);
      return { ...record, names: record.names.filter((n) => n !== full) };
    });
  }

  /**
   * Deletes an image (all its names) and every blob no remaining image
   * uses. Returns the diffIds no remaining image uses: their unpacked
   * layers can go (the caller removes them, maybe inside the user namespace).
   */
  remove(id: string): { removedNames: string[]; unusedDiffIds: string[]; deletedBlobs: string[] } {
    return this.locked(() => {
      const index = this.readIndex();
      const records = this.recordsOf(index);
      const gone = records.filter((r) => r.id === id);
      if (!gone.length) throw new NotFoundError(`No such image: ${id}`, { hint: NO_SUCH_IMAGE_HINT });
      const goneManifests = new Set(gone.map((r) => r.manifestDigest));
      index.manifests = index.manifests.filter((m) => !goneManifests.has(m.digest));
      this.writeIndex(index);
      const kept = records.filter((r) => !goneManifests.has(r.manifestDigest));
      const keptBlobs = new Set(kept.flatMap((r) => [r.manifestDigest, r.id, ...r.layers.map((l) => l.blobDigest)]));
      const keptDiffIds = new Set(kept.flatMap((r) => r.layers.map((l) => l.diffId)));
      const deletedBlobs: string[] = [];
      for (const r of gone) {
        for (const b of [r.manifestDigest, r.id, ...r.layers.map((l) => l.blobDigest)]) {
          if (keptBlobs.has(b) || deletedBlobs.includes(b)) continue;
          this.blobs.delete(b);
          deletedBlobs.push(b);
        }
        this.cache.delete(r.manifestDigest);
      }
      const unusedDiffIds = [...new Set(gone.flatMap((r) => r.layers.map((l) => l.diffId)))].filter((d) => !keptDiffIds.has(d));
      return { removedNames: gone.flatMap((r) => r.names), unusedDiffIds, deletedBlobs };
    });
  }

  /** Moves `names` onto `desc`'s manifest in `index` (mutated in place). */
  private assignNames(index: ImageIndex, desc: Descriptor, names: string[]): { name: string; id: string }[] {
    const displaced: { name: string; id: string }[] = [];
    for (const name of names) {
      const at = index.manifests.findIndex((m) => m.annotations?.[ANNOTATION_REF_NAME] === name);
      if (at >= 0) {
        const old = index.manifests[at]!;
        if (old.digest === desc.digest) continue;
        index.manifests.splice(at, 1);
        displaced.push({ name, id: this.recordsOf({ ...index, manifests: [old] })[0]!.id });
        if (!index.manifests.some((m) => m.digest === old.digest)) index.manifests.push(untagged(old));
      }
      index.manifests.push({ ...desc, annotations: { [ANNOTATION_REF_NAME]: name } });
    }
    const named = index.manifests.some((m) => m.digest === desc.digest && m.annotations?.[ANNOTATION_REF_NAME]);
    // Drop the nameless placeholder once the image has a name; add one if it has none.
    index.manifests = index.manifests.filter((m) => !(named && m.digest === desc.digest && !m.annotations?.[ANNOTATION_REF_NAME]));
    if (!index.manifests.some((m) => m.digest === desc.digest)) index.manifests.push(untagged(desc));
    return displaced;
  }

  private recordsOf(index: ImageIndex): ImageRecord[] {
    const order: string[] = [];
    const names = new Map<string, string[]>();
    for (const d of index.manifests) {
      if (!names.has(d.digest)) { names.set(d.digest, []); order.push(d.digest); }
      const n = d.annotations?.[ANNOTATION_REF_NAME];
      if (n) names.get(d.digest)!.push(n);
    }
    return order.map((digest) => ({ ...this.recordOf(digest), names: names.get(digest)! }));
  }

  private recordOf(manifestDigest: string): Omit<ImageRecord, "names"> {
    const hit = this.cache.get(manifestDigest);
    if (hit) return hit;
    const manifest = parseManifest(this.blobs.readBytes(manifestDigest), `manifest ${manifestDigest}`);
    const config = parseConfig(this.blobs.readBytes(manifest.config.digest), `config ${manifest.config.digest}`);
    const diffIds = config.rootfs.diff_ids;
    if (diffIds.length !== manifest.layers.length) {
      throw new RrError(`image ${manifest.config.digest} is corrupt: ${manifest.layers.length} layers but ${diffIds.length} diff_ids`);
    }
    const layers = manifest.layers.map((l, i) => ({ diffId: diffIds[i]!, blobDigest: l.digest, mediaType: l.mediaType, size: l.size }));
    const rec = {
      id: manifest.config.digest, manifestDigest, config, layers,
      created: config.created, size: layers.reduce((n, l) => n + l.size, 0),
    };
    this.cache.set(manifestDigest, rec);
    return rec;
  }

  private readIndex(): ImageIndex {
    let text: string;
    try { text = readFileSync(this.layout.index, "utf8"); } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return structuredClone(EMPTY_INDEX);
      throw err;
    }
    try {
      const idx = JSON.parse(text) as ImageIndex;
      if (!Array.isArray(idx.manifests)) throw new Error("no manifests array");
      return idx;
    } catch (err) {
      throw new RrError(`store index "${this.layout.index}" is damaged`, { cause: err });
    }
  }

  private writeIndex(index: ImageIndex): void {
    writeJsonAtomic(this.layout.index, index);
  }

  private locked<T>(fn: () => T): T {
    return withLock(this.layout.lock, fn);
  }
}

function untagged(d: Descriptor): Descriptor {
  return { mediaType: d.mediaType, digest: d.digest, size: d.size };
}

function toBytes(x: Uint8Array | object): Uint8Array {
  return x instanceof Uint8Array ? x : Buffer.from(JSON.stringify(x));
}

/** A full reference for a new name; digests cannot be names (Docker refuses them too). */
export function canonicalName(name: string): string {
  const ref = parseReference(name);
  if (ref.digest) throw new UsageError(`refusing to create a tag with a digest reference: "${name}"`);
  return ref.toString();
}
