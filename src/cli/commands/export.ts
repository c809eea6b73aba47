/**
 * `rr export [-o FILE] CONTAINER` (also `rr container export`): the
 * container's whole root filesystem as one tar, owners as the container
 * sees them; `rr import` turns it back into an image.
 */
import { isatty } from "node:tty";
import type { Command } from "../command.ts";
import { parseArgs, str } from "../args.ts";
import { UsageError } from "../../errors.ts";
import { openCliStore } from "../open-store.ts";
import { findContainer } from "../../store/container-store.ts";
import { viewSpecFor } from "../../runtime/container-fs/view-spec.ts";
import { withContainerFs } from "../../runtime/container-fs/runner.ts";
import { blockingWriter, writeFileAtomically, type ChunkWriter } from "../../runtime/container-fs/output-file.ts";
import type { FrameChannel } from "../../runtime/container-fs/frame-channel.ts";

const USAGE = "Usage:  rr export [OPTIONS] CONTAINER";

const command: Command = {
  summary: "Export a container's filesystem as a tar archive",
  usage: `${USAGE}

Export a container's filesystem as a tar archive

Options:
  -o, --output string   Write to a file, instead of STDOUT`,
  async run(argv, ctx) {
    const { options, positionals } = parseArgs(argv, [{ name: "output", short: "o", value: true }], { command: "export" });
    if (positionals.length !== 1) throw new UsageError(`"rr export" requires exactly 1 argument`, { hint: USAGE });
    const output = str(options, "output");
    if (output === undefined && isatty(1)) {
      throw new UsageError("cowardly refusing to save to a terminal. Use the -o flag or redirect");
    }
    const { store, identity } = await openCliStore(ctx);
    const rec = findContainer(store.root, positionals[0]!);
    const spec = viewSpecFor(store.root, rec, { live: false });
    const receive = (write: ChunkWriter) => (ch: FrameChannel) => copyStream(ch, write);
    if (output === undefined) {
      await withContainerFs(identity, { spec, op: { op: "export" } }, receive(blockingWriter(1)));
    } else {
      await writeFileAtomically(output, (write) => withContainerFs(identity, { spec, op: { op: "export" } }, receive(write)));
    }
    return 0;
  },
};

async function copyStream(ch: FrameChannel, write: ChunkWriter): Promise<void> {
  for await (const chunk of ch.data()) write(chunk);
  await ch.json();
}

export default command;
