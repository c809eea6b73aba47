/**
 * `rr load [-i FILE] [-q]`: images from a `docker save` or OCI archive
 * (plain, gzip or zstd), then their layers unpacked.
 */
import type { Command } from "../command.ts";
import { bool, parseArgs, str } from "../args.ts";
import { UsageError } from "../../errors.ts";
import { readFileStream } from "../../image/decompress.ts";
import { familiarize } from "../../image/reference.ts";
import { loadArchive } from "../../store/load-archive.ts";
import { openCliStore } from "../open-store.ts";
import { unpackOrRollback } from "../unpack-or-rollback.ts";

const command: Command = {
  summary: "Load an image from a tar archive or STDIN",
  usage: `Usage:  rr load [OPTIONS]

Load an image from a tar archive or STDIN (docker save or OCI archive, optionally gzip or zstd compressed)

Options:
  -i, --input string   Read from tar archive file, instead of STDIN
  -q, --quiet          Suppress the load output`,
  async run(argv, ctx) {
    const { options, positionals } = parseArgs(argv, [
      { name: "input", short: "i", value: true }, { name: "quiet", short: "q" },
    ], { command: "load" });
    if (positionals.length) throw new UsageError(`"rr load" accepts no arguments`, { hint: "Use 'rr load -i FILE' or 'rr load < FILE'." });
    const input = str(options, "input");
    let source: AsyncIterable<Uint8Array>;
    if (input !== undefined && input !== "-") {
      source = readFileStream(input);
    } else {
      if (process.stdin.isTTY) {
        throw new UsageError("requested load from stdin, but stdin is empty", { hint: "Use 'rr load -i FILE' or 'rr load < FILE'." });
      }
      source = Bun.stdin.stream() as unknown as AsyncIterable<Uint8Array>;
    }
    const { store, identity } = await openCliStore(ctx);
    const before = new Set(store.images.list().map((i) => i.id));
    const loaded = await loadArchive(store, source);
    for (const { image, names } of loaded) await unpackOrRollback(ctx, store, identity, image, before.has(image.id), names);
    for (const { image, names, displaced } of loaded) {
      for (const d of displaced) {
        ctx.out(`The image ${familiarize(d.name)} already exists, renaming the old one with ID ${d.id} to empty string`);
      }
      if (names.length) for (const n of names) ctx.out(`Loaded image: ${familiarize(n)}`);
      else ctx.out(`Loaded image ID: ${image.id}`);
    }
    void bool(options, "quiet"); // rr shows no progress to suppress; the result lines stay, as in Docker
    return 0;
  },
};

export default command;
