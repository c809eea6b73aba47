/**
 * `rr image SUBCOMMAND`: Docker's management-command spellings of the image
 * commands (`image ls` is `images`, `image rm` is `rmi`, …). Each
 * subcommand is the top-level command's own module, loaded on demand.
 */
import type { Command } from "../command.ts";
import { COMMANDS } from "../commands.ts";
import { UsageError } from "../../errors.ts";

type Loader = () => Promise<{ default: Command }>;

/** Subcommand → loader, with the arguments it implies (`inspect` is `inspect --type image`). */
const SUBCOMMANDS: Record<string, { command: string; summary: string; load?: Loader; prefix?: string[] }> = {
  ls: { command: "images", summary: "List images" },
  list: { command: "images", summary: "List images" },
  rm: { command: "rmi", summary: "Remove one or more images" },
  remove: { command: "rmi", summary: "Remove one or more images" },
  inspect: { command: "inspect", summary: "Display detailed information on one or more images", prefix: ["--type", "image"] },
  history: { command: "history", summary: "Show the history of an image" },
  prune: { command: "prune", summary: "Remove unused images", load: () => import("./image-prune.ts") },
  load: { command: "load", summary: "Load an image from a tar archive or STDIN" },
  save: { command: "save", summary: "Save one or more images to a tar archive" },
  import: { command: "import", summary: "Import the contents of a tarball to create a filesystem image" },
  tag: { command: "tag", summary: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE" },
  pull: { command: "pull", summary: "Download an image from a registry" },
  push: { command: "push", summary: "Upload an image to a registry" },
};

/** Subcommands whose command exists in this build (pull and push arrive with the registry work). */
function available(): { name: string; summary: string; load: Loader; prefix: string[] }[] {
  return Object.entries(SUBCOMMANDS).flatMap(([name, s]) => {
    const load = s.load ?? (COMMANDS as Partial<Record<string, Loader>>)[s.command];
    return load ? [{ name, summary: s.summary, load, prefix: s.prefix ?? [] }] : [];
  });
}

const command: Command = {
  summary: "Manage images",
  get usage() {
    return `Usage:  rr image COMMAND

Manage images

Commands:
${available().map((s) => `  ${s.name.padEnd(9)} ${s.summary}`).join("\n")}

Run 'rr image COMMAND --help' for more information on a command.`;
  },
  async run(argv, ctx) {
    const [name, ...rest] = argv;
    const found = available().find((s) => s.name === name);
    if (!found) {
      const why = name === undefined ? `"rr image" requires a subcommand` : `'${name}' is not an rr image command`;
      throw new UsageError(why, { hint: "See 'rr image --help'." });
    }
    const sub = (await found.load()).default;
    if (rest[0] === "--help") {
      const usage = sub.usage.startsWith("Usage:  rr image ") ? sub.usage : sub.usage.replace(/^Usage: {2}rr [a-z]+/, `Usage:  rr image ${name}`);
      ctx.out(usage);
      return 0;
    }
    return sub.run([...found.prefix, ...rest], ctx);
  },
};

export default command;
