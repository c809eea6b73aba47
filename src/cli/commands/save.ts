/**
 * `rr save [-o FILE] [--format docker-archive|oci-archive] IMAGE…`: one or
 * more images into a tar on stdout or in FILE (written to a temporary name
 * beside it and renamed, so FILE is either the old one or complete).
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { isatty } from "node:tty";
import type { Command } from "../command.ts";
import { writeAllSync } from "../write-sync.ts";
import { parseArgs, str } from "../args.ts";
import { RrError, UsageError } from "../../errors.ts";
import { parseReference } from "../../image/reference.ts";
import { writeDockerArchive, type SaveItem } from "../../image/save-docker-archive.ts";
import { writeOciArchive } from "../../image/save-oci-archive.ts";
import type { ImageRecord, ImageStore } from "../../store/image-store.ts";
import { openCliStore } from "../open-store.ts";

const FORMATS = ["docker-archive", "oci-archive"] as const;
const USAGE = "Usage:  rr save [OPTIONS] IMAGE [IMAGE...]";

const command: Command = {
  summary: "Save one or more images to a tar archive (streamed to STDOUT by default)",
  usage: `${USAGE}

Save one or more images to a tar archive (streamed to STDOUT by default)

Options:
      --format string   docker-archive (what 'docker save' writes; the default) or oci-archive
  -o, --output string   Write to a file, instead of STDOUT`,
  async run(argv, ctx) {
    const { options, positionals } = parseArgs(argv, [
      { name: "output", short: "o", value: true }, { name: "format", value: true },
    ], { command: "save" });
    if (!positionals.length) throw new UsageError(`"rr save" requires at least 1 argument`, { hint: USAGE });
    const format = str(options, "format") ?? "docker-archive";
    if (!(FORMATS as readonly string[]).includes(format)) {
      throw new UsageError(`unknown archive format "${format}"`, { hint: "Use --format docker-archive or --format oci-archive." });
    }
    const output = str(options, "output");
    if (output === undefined && isatty(1)) {
      throw new UsageError("cowardly refusing to save to a terminal. Use the -o flag or redirect");
    }
    const { store } = await openCliStore(ctx);
    const items = selectImages(store.images, positionals);
    const write = format === "oci-archive" ? writeOciArchive : writeDockerArchive;
    if (output === undefined) {
      await write(items, store.blobs, blockingSink(1));
      return 0;
    }
    await writeFileAtomically(output, (sink) => write(items, store.blobs, sink));
    return 0;
  },
};

/**
 * Docker's naming rules: `name:tag` saves that tag, a bare `name` every tag
 * of that repository the image has, an id or digest saves it without tags.
 * Two arguments naming one image give one entry with both names.
 */
export function selectImages(images: ImageStore, args: string[]): SaveItem[] {
  const items = new Map<string, SaveItem>();
  for (const arg of args) {
    const image = images.resolve(arg);
    const item = items.get(image.id) ?? { image, names: [] };
    for (const n of namesFor(arg, image)) if (!item.names.includes(n)) item.names.push(n);
    items.set(image.id, item);
  }
  return [...items.values()];
}

function namesFor(arg: string, image: ImageRecord): string[] {
  let ref;
  try { ref = parseReference(arg, { defaultTag: false }); } catch { return []; }
  if (ref.digest) return [];
  if (ref.tag) return image.names.filter((n) => n === ref.toString());
  return image.names.filter((n) => parseReference(n).name() === ref.name());
}

async function writeFileAtomically(path: string, fill: (sink: (chunk: Uint8Array) => void) => Promise<void>): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.rr-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  let fd: number;
  try {
    fd = openSync(tmp, "wx", 0o644);
  } catch (err) {
    throw new RrError(`cannot write "${path}"`, { cause: err, hint: "Check that its directory exists and is writable." });
  }
  let ok = false;
  try {
    await fill(blockingSink(fd));
    fsyncSync(fd);
    ok = true;
  } finally {
    closeSync(fd);
    if (!ok) try { unlinkSync(tmp); } catch {}
  }
  renameSync(tmp, path);
}

/** Every byte written before the next chunk (see write-sync.ts). */
function blockingSink(fd: number): (chunk: Uint8Array) => void {
  return (chunk) => writeAllSync(fd, chunk);
}

export default command;
