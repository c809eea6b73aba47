/**
 * `rr commit [-a AUTHOR] [-c INSTRUCTION]... [-m MSG] CONTAINER [REPOSITORY[:TAG]]`
 * (also `rr container commit`): the container's changes become one new
 * layer on its image; prints the new image's id. The layer is written to
 * `$ROOT/tmp`, verified as every blob is, and unpacked before the command
 * returns, so the image runs at once. A failure leaves no image and no blob.
 */
import type { Command } from "../command.ts";
import { list, parseArgs, str } from "../args.ts";
import { ConflictError, RrError, UsageError } from "../../errors.ts";
import { openCliStore } from "../open-store.ts";
import { addCommittedImage, stageContainerLayer, withStagingDir } from "../commit-container.ts";
import { findContainer, type ContainerRecord } from "../../store/container-store.ts";
import { canonicalName } from "../../store/image-store.ts";
import { applyConfigChanges, parseConfigChanges } from "../../image/config-changes.ts";
import { containerConfigOf } from "../../runtime/container-fs/commit-config.ts";

const USAGE = "Usage:  rr commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]";

const command: Command = {
  summary: "Create a new image from a container's changes",
  usage: `${USAGE}

Create a new image from a container's changes

Options:
  -a, --author string    Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")
  -c, --change list      Apply Dockerfile instruction to the created image
  -m, --message string   Commit message
  -p, --pause            Pause container during commit (default true)`,
  async run(argv, ctx) {
    const { options, positionals } = parseArgs(argv, [
      { name: "author", short: "a", value: true },
      { name: "change", short: "c", value: true, multiple: true },
      { name: "message", short: "m", value: true },
      { name: "pause", short: "p" },
    ], { command: "commit" });
    if (positionals.length < 1 || positionals.length > 2) {
      throw new UsageError(`"rr commit" requires at least 1 and at most 2 arguments`, { hint: USAGE });
    }
    const [ref, name] = positionals as [string, string | undefined];
    const names = name === undefined ? [] : [canonicalName(name)];
    const changes = parseConfigChanges(list(options, "change"));
    const { store, identity } = await openCliStore(ctx);
    const rec = findContainer(store.root, ref);
    const base = store.images.find(rec.imageId);
    if (!base) {
      throw new RrError(`the image of container ${rec.name} (${rec.imageId.slice(7, 19)}) is no longer in the store`, {
        hint: `Load or pull ${rec.image} again, then commit.`,
      });
    }
    const config = applyConfigChanges(containerConfigOf(rec, base.config.config), changes);
    await withStagingDir(store, async (dir) => {
      const layer = await whilePaused(store.root, rec, options.pause !== false, () => stageContainerLayer(store, identity, rec, dir));
      const image = await addCommittedImage(ctx, store, identity, {
        base, config, layer, names,
        createdBy: (containerConfigOf(rec, base.config.config).Cmd ?? []).join(" "),
        author: str(options, "author"),
        comment: str(options, "message"),
      });
      ctx.out(image.id);
    });
    return 0;
  },
};
/** Docker pauses a running container while it reads its files, so the layer is one moment of it. */
async function whilePaused<T>(root: string, rec: ContainerRecord, pause: boolean, fn: () => Promise<T>): Promise<T> {
  if (!pause || rec.state.status !== "running") return fn();
  const { pauseContainer, unpauseContainer } = await import("../../runtime/container-pause.ts");
  try {
    await pauseContainer(root, rec.id);
  } catch (err) {
    if (err instanceof ConflictError) return fn(); // it stopped meanwhile: nothing left to hold still
    throw err;
  }
  try {
    return await fn();
  } finally {
    await unpauseContainer(root, rec.id).catch(() => {});
  }
}

export default command;
