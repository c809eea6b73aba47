/**
 * What listing containers needs to know about images, read once and only
 * when asked: whether a container's image name still means its image (else
 * Docker shows the id), an image's size, and `ancestor=` (the image and the
 * images built on it: layers that extend its layers).
 */
import { ImageStore, type ImageRecord } from "../store/image-store.ts";
import type { ContainerRecord } from "../store/container-store.ts";
import { normalizeId } from "./container-filters.ts";

export class ContainerImages {
  private store?: ImageStore;
  private all?: ImageRecord[];
  private byName = new Map<string, string | undefined>();

  constructor(private readonly root: string) {}

  private images(): ImageRecord[] {
    if (!this.all) {
      try { this.all = this.imageStore().list(); } catch { this.all = []; }
    }
    return this.all;
  }

  private imageStore(): ImageStore {
    this.store ??= new ImageStore(this.root);
    return this.store;
  }

  private find(ref: string): ImageRecord | undefined {
    try { return this.imageStore().find(ref); } catch { return undefined; } // ambiguous or damaged: no image
  }

  /** The daemon's `Image`: the name the container was made from while it still names that image, else the id. */
  shownImage(rec: ContainerRecord): string {
    const id = normalizeId(rec.imageId);
    if (!this.byName.has(rec.image)) this.byName.set(rec.image, this.find(rec.image)?.id);
    return this.byName.get(rec.image) === id ? rec.image : id;
  }

  sizeOf(imageId: string): number {
    const id = normalizeId(imageId);
    return this.images().find((i) => i.id === id)?.size ?? 0;
  }

  ancestorIds(ref: string): string[] {
    const base = this.find(ref);
    if (!base) return [];
    const layers = base.layers.map((l) => l.diffId);
    const extends_ = (i: ImageRecord) => i.layers.length > layers.length && layers.every((d, n) => i.layers[n]!.diffId === d);
    return [base.id, ...this.images().filter(extends_).map((i) => i.id)];
  }
}
