/**
 * Pull as the CLI does it, for `rr pull` and `rr run --pull`: download,
 * register, unpack (rolling the image back if unpacking fails), and print
 * docker pull's lines. Errors are prefixed `pull REF:` so they read as one line.
 */
import { RrError } from "../errors.ts";
import { pullImage, type PullResult } from "../image/pull.ts";
import type { Platform } from "../image/image-config.ts";
import { parseReference, type Reference } from "../image/reference.ts";
import { RegistryClient } from "../image/registry/client.ts";
import type { Identity } from "../runtime/identity.ts";
import type { Store } from "../store/store.ts";
import type { CliContext } from "./context.ts";
import { PullProgress, type Writer } from "./pull-progress.ts";
import { unpackOrRollback } from "./unpack-or-rollback.ts";

export interface CliPullOptions {
  platform?: Platform;
  quiet?: boolean;
  /** Where progress goes: stdout for `rr pull`, stderr for `rr run`. */
  out: Writer;
}

export async function pullForCli(ctx: CliContext, store: Store, identity: Identity, refText: string, opts: CliPullOptions): Promise<PullResult & { ref: Reference }> {
  const ref = parseReference(refText);
  const progress = PullProgress.for(opts.out, opts.quiet ?? false);
  try {
    progress.line(`${ref.digest ?? ref.tag}: Pulling from ${ref.repository}`);
    const client = new RegistryClient(ref.registry, { env: ctx.env });
    const result = await pullImage(store, client, ref, {
      platform: opts.platform,
      events: { layer: (id, s, c, t) => progress.layer(id, s, c, t), warn: (m) => ctx.warn(m) },
    });
    const layerIds = [...new Set(result.image.layers.map((l) => l.blobDigest))].map((d) => d.slice(7, 19));
    if (!result.upToDate) for (const id of layerIds) progress.layer(id, "Extracting");
    await unpackOrRollback(ctx, store, identity, result.image, result.existedBefore, result.names);
    if (!result.upToDate) for (const id of layerIds) progress.layer(id, "Pull complete");
    progress.line(`Digest: ${result.digest}`);
    progress.line(result.upToDate ? `Status: Image is up to date for ${ref.familiar()}` : `Status: Downloaded newer image for ${ref.familiar()}`);
    return { ...result, ref };
  } catch (err) {
    throw new RrError(`pull ${ref.familiar()}`, { cause: err, code: (err as RrError).code });
  }
}
