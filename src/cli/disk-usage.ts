/**
 * What `rr system df` counts, as Docker's daemon reports it: every image
 * with its size, the part it shares with other images and how many
 * containers use it; the size of all distinct layers; every container with
 * what it wrote (SizeRw). No volumes or build cache exist yet.
 */
import { listContainers, type ContainerRecord } from "../store/container-store.ts";
import type { ImageRecord } from "../store/image-store.ts";
import { normalizeId } from "./container-filters.ts";
import { containerSizeRw } from "./container-size.ts";

export interface ImageUsage {
  image: ImageRecord;
  size: number;
  sharedSize: number;
  containers: number;
}

export interface ContainerUsage {
  rec: ContainerRecord;
  sizeRw: number;
}

export interface DiskUsage {
  layersSize: number;
  images: ImageUsage[];
  containers: ContainerUsage[];
}

export function diskUsage(root: string, images: ImageRecord[]): DiskUsage {
  const containers = listContainers(root).sort((a, b) => (a.created < b.created ? 1 : -1));
  const layerUsers = new Map<string, { size: number; images: number }>();
  for (const img of images) {
    for (const l of new Map(img.layers.map((l) => [l.diffId, l])).values()) {
      const u = layerUsers.get(l.diffId) ?? { size: l.size, images: 0 };
      u.images++;
      layerUsers.set(l.diffId, u);
    }
  }
  const uses = new Map<string, number>();
  for (const c of containers) uses.set(normalizeId(c.imageId), (uses.get(normalizeId(c.imageId)) ?? 0) + 1);
  return {
    layersSize: [...layerUsers.values()].reduce((n, u) => n + u.size, 0),
    images: images.map((image) => ({
      image,
      size: image.size,
      sharedSize: image.layers.filter((l) => layerUsers.get(l.diffId)!.images > 1).reduce((n, l) => n + l.size, 0),
      containers: uses.get(image.id) ?? 0,
    })),
    containers: containers.map((rec) => ({ rec, sizeRw: containerSizeRw(root, rec) })),
  };
}
