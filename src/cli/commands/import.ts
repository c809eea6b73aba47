/**
 * `rr import [-m MSG] FILE|- [REPOSITORY[:TAG]]`: a root filesystem
 * tarball (plain, gzip or zstd) as a one-layer image; prints its id.
 */
import type { Command } from "../command.ts";
import { parseArgs, str } from "../args.ts";
import { UsageError } from "../../errors.ts";
import { readFileStream } from "../../image/decompress.ts";
import { canonicalName } from "../../store/image-store.ts";
import { importRootfs } from "../../store/import-rootfs.ts";
import { openCliStore } from "../open-store.ts";
import { unpackOrRollback } from "../unpack-or-rollback.ts";

const command: Command = {
  summary: "Import the contents from a tarball to create a filesystem image",
  usage: `Usage:  rr import [OPTIONS] file|- [REPOSITORY[:TAG]]

Import the contents from a tarball (plain, gzip or zstd) to create a filesystem image

Options:
  -m, --message string   Set commit message for imported image`,
  async run(argv, ctx) {
    const { options, positionals } = parseArgs(argv, [{ name: "message", short: "m", value: true }], { command: "import" });
    const [file, name, ...extra] = positionals;
    if (file === undefined || extra.length) {
      throw new UsageError(`"rr import" requires 1 or 2 arguments`, { hint: "Usage:  rr import [OPTIONS] file|- [REPOSITORY[:TAG]]" });
    }
    if (/^https?:\/\//.test(file)) throw new UsageError("importing from a URL is not supported", { hint: "Download the file first, then 'rr import FILE'." });
    const names = name === undefined ? [] : [canonicalName(name)];
    let source: AsyncIterable<Uint8Array>;
    if (file === "-") {
      if (process.stdin.isTTY) throw new UsageError("requested import from stdin, but stdin is a terminal", { hint: "Use 'rr import FILE' or 'rr import - < FILE'." });
      source = Bun.stdin.stream() as unknown as AsyncIterable<Uint8Array>;
    } else {
      source = readFileStream(file);
    }
    const { store, identity } = await openCliStore(ctx);
    const before = new Set(store.images.list().map((i) => i.id));
    const image = await importRootfs(store, source, { names, message: str(options, "message"), sourceLabel: file });
    await unpackOrRollback(ctx, store, identity, image, before.has(image.id), names);
    ctx.out(image.id);
    return 0;
  },
};

export default command;
