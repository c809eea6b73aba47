/**
 * `rr pull [--platform OS/ARCH[/VARIANT]] [-q] NAME[:TAG|@DIGEST]`: an image
 * from a registry into the store, unpacked and ready to run.
 */
import type { Command } from "../command.ts";
import { bool, parseArgs, str } from "../args.ts";
import { UsageError } from "../../errors.ts";
import { parsePlatform } from "../../image/pull.ts";
import { openCliStore } from "../open-store.ts";
import { pullForCli } from "../pull-image.ts";

const command: Command = {
  summary: "Download an image from a registry",
  usage: `Usage:  rr pull [OPTIONS] NAME[:TAG|@DIGEST]

Download an image from a registry

Options:
  -a, --all-tags          Download all tagged images in the repository (not supported)
      --platform string   Set platform if server is multi-platform capable (OS/ARCH[/VARIANT])
  -q, --quiet             Suppress verbose output`,
  async run(argv, ctx) {
    const { options, positionals } = parseArgs(argv, [
      { name: "all-tags", short: "a" }, { name: "platform", value: true }, { name: "quiet", short: "q" },
    ], { command: "pull" });
    if (positionals.length !== 1) throw new UsageError(`"rr pull" requires exactly 1 argument.`, { hint: "See 'rr pull --help'." });
    if (bool(options, "all-tags")) throw new UsageError("rr pull --all-tags is not supported", { hint: "Pull the tags you need one by one." });
    const platformSpec = str(options, "platform");
    const platform = platformSpec === undefined ? undefined : parsePlatform(platformSpec);
    const quiet = bool(options, "quiet");
    const { store, identity } = await openCliStore(ctx);
    const { ref } = await pullForCli(ctx, store, identity, positionals[0]!, { platform, quiet, out: process.stdout });
    ctx.out(ref.toString());
    return 0;
  },
};

export default command;
