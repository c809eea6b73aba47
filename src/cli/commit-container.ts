/**
 * A container's changes as one image layer on its image: what `rr commit`
 * and `rr build`'s RUN steps do. The layer is staged in $ROOT/tmp, verified
 * as every blob is, and unpacked before this returns; a failure leaves no
 * image and no blob.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { CliContext } from "./context.ts";
import { unpackOrRollback } from "./unpack-or-rollback.ts";
import type { Identity } from "../runtime/identity.ts";
import type { Store } from "../store/store.ts";
import type { ContainerRecord } from "../store/container-store.ts";
import type { ImageRecord } from "../store/image-store.ts";
import type { StagedBlob } from "../store/blob-store.ts";
import { commitImage, EMPTY_TAR_DIGEST, type CommitInput } from "../store/commit-image.ts";
import { viewSpecFor } from "../runtime/container-fs/view-spec.ts";
import { withContainerFs } from "../runtime/container-fs/runner.ts";

/** Stages the container's changes as a layer blob; undefined when it changed nothing. */
export async function stageContainerLayer(store: Store, identity: Identity, rec: ContainerRecord, dir: string): Promise<StagedBlob | undefined> {
  const spec = viewSpecFor(store.root, rec, { live: false });
  const layer = await withContainerFs(identity, { spec, op: { op: "layer" } }, async (ch) => {
    const staged = await store.blobs.stage(ch.data(), { dir, what: `the layer of container ${rec.name}` });
    await ch.json();
    return staged;
  });
  if (layer.digest !== EMPTY_TAR_DIGEST) return layer;
  store.blobs.discard(layer);
  return undefined;
}

/** A scratch directory in $ROOT/tmp for staging, removed after fn. */
export async function withStagingDir<T>(store: Store, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = join(store.layout.tmp, `stage-${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Adds the image (a layer or none) and unpacks its new layer; rolls back if unpacking fails. */
export async function addCommittedImage(ctx: CliContext, store: Store, identity: Identity, input: CommitInput): Promise<ImageRecord> {
  const before = new Set(store.images.list().map((i) => i.id));
  const image = commitImage(store, input);
  await unpackOrRollback(ctx, store, identity, image, before.has(image.id), input.names);
  return image;
}
