/**
 * The image `run`/`create` start from, pulled per `--pull` (missing by
 * default). Pull output goes to stderr: the container's stdout stays the
 * container's alone.
 */
import type { CliContext } from "./context.ts";
import type { PullPolicy } from "./run-options.ts";
import { parseReference } from "../image/reference.ts";
import type { Identity } from "../runtime/identity.ts";
import type { Store } from "../store/store.ts";
import type { ImageRecord } from "../store/image-store.ts";
import { ensureLayersUnpacked } from "./unpack.ts";
import { layerDir } from "../store/layer-store.ts";
import type { ImageForRun } from "../runtime/container-create.ts";

async function imageFor(ctx: CliContext, store: Store, identity: Identity, name: string, policy: PullPolicy): Promise<ImageRecord> {
  if (policy !== "always") {
    const local = policy === "never" ? store.images.resolve(name) : store.images.find(name);
    if (local) return local;
    // Only names can be pulled; an unknown id stays "No such image".
    if (/^(sha256:)?[0-9a-f]{12,64}$/.test(name)) return store.images.resolve(name);
    let shown = name;
    try { shown = parseReference(name).familiar(); } catch {}
    process.stderr.write(`Unable to find image '${shown}' locally\n`);
  }
  const { pullForCli } = await import("./pull-image.ts");
  return (await pullForCli(ctx, store, identity, name, { out: process.stderr })).image;
}

/** Resolves (pulling if the policy says so) and unpacks the image. */
export async function unpackedImage(ctx: CliContext, store: Store, identity: Identity, name: string, policy: PullPolicy): Promise<ImageRecord> {
  const image = await imageFor(ctx, store, identity, name, policy);
  await ensureLayersUnpacked(ctx, identity, image);
  return image;
}

/** The image as `run` and `create` need it: layers unpacked, their directories top first. */
export async function imageForRun(ctx: CliContext, store: Store, identity: Identity, name: string, policy: PullPolicy): Promise<ImageForRun> {
  const image = await unpackedImage(ctx, store, identity, name, policy);
  return {
    id: image.id,
    layerDirs: image.layers.map((l) => layerDir(store.root, l.diffId)).reverse(),
    config: image.config.config ?? {},
  };
}
