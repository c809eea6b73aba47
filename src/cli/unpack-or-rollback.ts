/**
 * load and import register an image, then unpack its layers. When a layer
 * cannot be unpacked (a hostile or broken archive), the image must not stay
 * behind: its names go, and the image with them unless it was there before.
 */
import type { CliContext } from "./context.ts";
import type { Identity } from "../runtime/identity.ts";
import type { Store } from "../store/store.ts";
import type { ImageRecord } from "../store/image-store.ts";
import { ensureLayersUnpacked, layerPaths, removeStorePaths } from "./unpack.ts";

export async function unpackOrRollback(
  ctx: CliContext, store: Store, identity: Identity, image: ImageRecord, existedBefore: boolean, newNames: string[],
  unpack: () => Promise<void> = () => ensureLayersUnpacked(ctx, identity, image),
): Promise<void> {
  try {
    await unpack();
  } catch (err) {
    try {
      if (existedBefore) {
        for (const n of newNames) store.images.untag(n);
      } else {
        const { unusedDiffIds } = store.images.remove(image.id);
        await removeStorePaths(ctx, identity, layerPaths(unusedDiffIds)).catch(() => {});
      }
    } catch {
      // the unpack error is the one to report
    }
    throw err;
  }
}
