/**
 * `rr push IMAGE[:TAG] [DESTINATION]`: uploads a stored image to the
 * registry its name (or DESTINATION, podman's form) points at, printing
 * `docker push`'s plain lines. RR_PUSH_CHUNK_SIZE=BYTES uploads blobs in
 * chunks of that size instead of one PUT (a tuning and testing knob).
 */
import type { Command } from "../command.ts";
import { parseArgs } from "../args.ts";
import { NotFoundError, RrError, UsageError } from "../../errors.ts";
import { pushImage, type PushEvent } from "../../image/push.ts";
import { parseReference, type Reference } from "../../image/reference.ts";
import { RegistryClient } from "../../image/registry/client.ts";
import type { ImageRecord, ImageStore } from "../../store/image-store.ts";
import { shortId } from "../format.ts";
import { openCliStore } from "../open-store.ts";

const USAGE = "Usage:  rr push [OPTIONS] NAME[:TAG] [DESTINATION]";

const command: Command = {
  summary: "Upload an image to a registry",
  usage: `${USAGE}

Upload an image to a registry. DESTINATION (optional, [docker://]NAME[:TAG])
pushes the local image NAME[:TAG] under another name.

Options:
  -q, --quiet   Suppress verbose output

Environment:
  RR_PUSH_CHUNK_SIZE=BYTES   upload blobs in chunks of BYTES (default: one request per blob)`,
  async run(argv, ctx) {
    const { options, positionals } = parseArgs(argv, [{ name: "quiet", short: "q" }, { name: "all-tags", short: "a" }], { command: "push" });
    if (positionals.length < 1 || positionals.length > 2) throw new UsageError(`"rr push" requires 1 or 2 arguments`, { hint: USAGE });
    if (options["all-tags"]) throw new UsageError("rr push does not support --all-tags yet", { hint: "Push each tag by name." });
    const quiet = options.quiet === true;
    const chunkSize = parseChunkSize(ctx.env.RR_PUSH_CHUNK_SIZE);
    const { store } = await openCliStore(ctx);
    const source = positionals[0]!;
    // With a DESTINATION the source may be any local image (podman's form); alone it must be a name.
    const image = positionals[1] !== undefined ? store.images.resolve(source) : findLocal(store.images, source);
    const dest = destination(positionals[1] ?? source);
    if (!quiet) ctx.out(`The push refers to repository [${dest.familiarName()}]`);
    const layers = image.layers.map((l) => shortId(l.diffId));
    if (!quiet) for (const id of new Set(layers)) ctx.out(`${id}: Preparing`);
    const client = new RegistryClient(dest.registry, { env: ctx.env });
    const onBlob = (e: PushEvent) => {
      if (!quiet && e.kind === "layer") ctx.out(`${shortId(e.id)}: ${describe(e)}`);
    };
    let result;
    try {
      result = await pushImage(client, store.blobs, image, dest, { chunkSize, onBlob });
    } catch (err) {
      // The client's errors name the request, not the image: say which push failed.
      throw new RrError(`pushing ${dest.familiar()}`, { cause: err });
    }
    const { digest, size } = result;
    ctx.out(quiet ? dest.familiar() : `${dest.tag}: digest: ${digest} size: ${size}`);
    return 0;
  },
};

function describe(e: PushEvent): string {
  switch (e.outcome.status) {
    case "exists": return "Layer already exists";
    case "mounted": return `Mounted from ${e.outcome.from}`;
    case "pushed": return "Pushed";
  }
}

/** Docker pushes names, not ids: the argument must name a local image. */
function findLocal(images: ImageStore, name: string): ImageRecord {
  let full: string | undefined;
  try { full = parseReference(name).toString(); } catch { full = undefined; }
  const image = full ? images.find(full) : undefined;
  if (!image || !image.names.includes(full!)) {
    throw new NotFoundError(`An image does not exist locally with the tag: ${name}`, {
      hint: "Give the image that name first: 'rr tag IMAGE NAME[:TAG]'.",
    });
  }
  return image;
}

function destination(arg: string): Reference {
  const ref = parseReference(arg.replace(/^docker:\/\//, ""));
  if (ref.digest) throw new UsageError(`cannot push to a digest reference "${arg}"`, { hint: "Push to a tag: NAME:TAG." });
  return ref;
}

function parseChunkSize(value: string | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`RR_PUSH_CHUNK_SIZE must be a positive number of bytes, not "${value}"`);
  }
  return n;
}

export default command;
