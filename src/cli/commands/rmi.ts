/**
 * `rr rmi [-f] IMAGE…`: removes a name; the image goes when its last name
 * does, with every blob and unpacked layer no other image uses. An image a
 * container uses is refused (with -f: untagged, kept until the container goes).
 */
import type { Command } from "../command.ts";
import { bool, parseArgs } from "../args.ts";
import { ConflictError, RrError, UsageError } from "../../errors.ts";
import { familiarize, parseReference } from "../../image/reference.ts";
import { listContainers } from "../../store/container-store.ts";
import type { ImageRecord } from "../../store/image-store.ts";
import { shortId } from "../format.ts";
import { openCliStore } from "../open-store.ts";
import { layerPaths, removeStorePaths } from "../unpack.ts";

const command: Command = {
  summary: "Remove one or more images",
  usage: `Usage:  rr rmi [OPTIONS] IMAGE [IMAGE...]

Remove one or more images

Options:
  -f, --force      Force removal of the image`,
  async run(argv, ctx) {
    const { options, positionals } = parseArgs(argv, [{ name: "force", short: "f" }, { name: "no-prune" }], { command: "rmi" });
    if (!positionals.length) throw new UsageError(`"rr rmi" requires at least 1 argument`, { hint: "Usage:  rr rmi [OPTIONS] IMAGE [IMAGE...]" });
    const force = bool(options, "force");
    const { store, identity } = await openCliStore(ctx);
    const errors: unknown[] = [];
    for (const arg of positionals) {
      try {
        const unusedDiffIds = removeOne(store.images, store.root, arg, force, (line) => ctx.out(line));
        await removeStorePaths(ctx, identity, layerPaths(unusedDiffIds));
      } catch (err) {
        errors.push(err);
      }
    }
    // Like Docker: every argument is tried; the command fails if any did.
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) {
      const msgs = errors.map((e) => (e instanceof Error ? e.message : String(e)));
      throw new RrError(`${errors.length} images could not be removed: ${msgs.join("; ")}`);
    }
    return 0;
  },
};

type Images = Awaited<ReturnType<typeof openCliStore>>["store"]["images"];

/** Untags or deletes one image; returns the diffIds whose unpacked layers can go. */
function removeOne(images: Images, root: string, arg: string, force: boolean, out: (line: string) => void): string[] {
  const image = images.resolve(arg);
  const byName = nameOf(arg, image);
  if (byName && image.names.length > 1) {
    images.untag(byName);
    out(`Untagged: ${familiarize(byName)}`);
    return [];
  }
  if (!byName && image.names.length > 1 && !force) {
    throw new ConflictError(`unable to delete ${shortId(image.id)} (must be forced) - image is referenced in multiple repositories`, {
      hint: "Remove its names one by one, or use 'rr rmi -f'.",
    });
  }
  const users = containersUsing(root, image);
  if (users.length && !force) {
    throw new ConflictError(
      `unable to remove image "${arg}" (must force) - container ${shortId(users[0]!)} is using its referenced image ${shortId(image.id)}`,
      { hint: `Remove the container first ('rr rm ${shortId(users[0]!)}'), or untag the image with 'rr rmi -f'.` },
    );
  }
  for (const n of image.names) {
    images.untag(n);
    out(`Untagged: ${familiarize(n)}`);
  }
  if (users.length) return []; // forced: the image stays as <none> while containers need its layers
  const { unusedDiffIds } = images.remove(image.id);
  out(`Deleted: ${image.id}`);
  return unusedDiffIds;
}

/** The full name `arg` stands for, when it named the image rather than its id. */
function nameOf(arg: string, image: ImageRecord): string | undefined {
  try {
    const full = parseReference(arg).toString();
    return image.names.includes(full) ? full : undefined;
  } catch {
    return undefined;
  }
}

function containersUsing(root: string, image: ImageRecord): string[] {
  const hex = image.id.replace(/^sha256:/, "");
  return listContainers(root).filter((c) => c.imageId.replace(/^sha256:/, "") === hex).map((c) => c.id);
}

export default command;
