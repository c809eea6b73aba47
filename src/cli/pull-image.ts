/**
 * Pull as the CLI does it, for `rr pull` and `rr run --pull`: download and
 * unpack at once (each layer is extracted while its blob downloads, and kept
 * only once both its blob digest and its diffId check out),
 * register, make the layers visible (rolling the image back if that fails),
 * and print docker pull's lines. Errors are prefixed `pull REF:` so they
 * read as one line.
 */
import { RrError } from "../errors.ts";
import { pullImage, shortId, type LayerSink, type PullResult } from "../image/pull.ts";
import type { Platform } from "../image/image-config.ts";
import { parseReference, type Reference } from "../image/reference.ts";
import { RegistryClient } from "../image/registry/client.ts";
import type { Identity } from "../runtime/identity.ts";
import type { Store } from "../store/store.ts";
import type { CliContext } from "./context.ts";
import { PullProgress, type Writer } from "./pull-progress.ts";
import { GrowingBlob } from "../store/layer-follow.ts";
import { isUnpacked } from "../store/layer-store.ts";
import { ensureLayersUnpacked } from "./unpack.ts";
import { unpackOrRollback } from "./unpack-or-rollback.ts";
import { UnpackSession } from "./unpack-session.ts";

export interface CliPullOptions {
  platform?: Platform;
  quiet?: boolean;
  /** Where progress goes: stdout for `rr pull`, stderr for `rr run`. */
  out: Writer;
}

export async function pullForCli(ctx: CliContext, store: Store, identity: Identity, refText: string, opts: CliPullOptions): Promise<PullResult & { ref: Reference }> {
  const ref = parseReference(refText);
  const progress = PullProgress.for(opts.out, opts.quiet ?? false);
  const session = UnpackSession.open(ctx, identity);
  try {
    progress.line(`${ref.digest ?? ref.tag}: Pulling from ${ref.repository}`);
    const client = new RegistryClient(ref.registry, { env: ctx.env });
    const root = ctx.storePaths().root;
    const sink: LayerSink = {
      ready(layer, blobPath) {
        if (isUnpacked(root, layer.diffId)) return;
        const id = shortId(layer.digest);
        progress.layer(id, "Extracting");
        session.add({ blobPath, diffId: layer.diffId, mediaType: layer.mediaType }, () => progress.layer(id, "Pull complete"));
      },
      // Extraction follows the download; it shows as "Extracting" once the download is complete.
      begin(layer, blobPath) {
        if (isUnpacked(root, layer.diffId)) return undefined;
        const id = shortId(layer.digest);
        const growing = new GrowingBlob();
        growing.onSettled((size) => { if (size !== undefined) progress.layer(id, "Extracting"); });
        session.add({ blobPath, diffId: layer.diffId, mediaType: layer.mediaType, growing }, () => progress.layer(id, "Pull complete"));
        return growing;
      },
      failure: () => session.failure(),
      settled: () => session.settled(),
    };
    const result = await pullImage(store, client, ref, {
      platform: opts.platform,
      events: { layer: (id, s, c, t) => progress.layer(id, s, c, t), warn: (m) => ctx.warn(m) },
      unpack: sink,
    });
    // The layers become visible only now, after the image is registered; whatever
    // the session did not cover (an image registered earlier but never unpacked) follows.
    await unpackOrRollback(ctx, store, identity, result.image, result.existedBefore, result.names, async () => {
      await session.commit();
      await ensureLayersUnpacked(ctx, identity, result.image);
    });
    progress.line(`Digest: ${result.digest}`);
    progress.line(result.upToDate ? `Status: Image is up to date for ${ref.familiar()}` : `Status: Downloaded newer image for ${ref.familiar()}`);
    return { ...result, ref };
  } catch (err) {
    throw new RrError(`pull ${ref.familiar()}`, { cause: err, code: (err as RrError).code });
  } finally {
    await session.close();
  }
}
