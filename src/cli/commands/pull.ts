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
import { parseReference } from "../../image/reference.ts";
import { RegistryClient } from "../../image/registry/client.ts";

const command: Command = {
  summary: "Download an image from a registry",
  usage: `Usage:  rr pull [OPTIONS] NAME[:TAG|@DIGEST]

Download an image from a registry

Options:
  -a, --all-tags          Download all tagged images in the repository
      --platform string   Set platform if server is multi-platform capable (OS/ARCH[/VARIANT])
  -q, --quiet             Suppress verbose output`,
  async run(argv, ctx) {
    const { options, positionals } = parseArgs(argv, [
      { name: "all-tags", short: "a" }, { name: "platform", value: true }, { name: "quiet", short: "q" },
    ], { command: "pull" });
    if (positionals.length !== 1) throw new UsageError(`"rr pull" requires exactly 1 argument.`, { hint: "See 'rr pull --help'." });
    const platformSpec = str(options, "platform");
    const platform = platformSpec === undefined ? undefined : parsePlatform(platformSpec);
    const quiet = bool(options, "quiet");
    const { store, identity } = await openCliStore(ctx);
    const names = bool(options, "all-tags") ? await allTags(positionals[0]!, ctx.env) : [positionals[0]!];
    for (const name of names) {
      const { ref } = await pullForCli(ctx, store, identity, name, { platform, quiet, out: process.stdout });
      ctx.out(ref.toString());
    }
    return 0;
  },
};

/** `pull -a NAME`: every tag of NAME's repository, as NAME:TAG references. */
async function allTags(name: string, env: Record<string, string | undefined>): Promise<string[]> {
  const ref = parseReference(name);
  if (ref.digest || /:[^/]+$/.test(name)) {
    throw new UsageError(`tag can't be used with --all-tags/-a`, { hint: `Give the repository alone: rr pull -a ${ref.registry}/${ref.repository}` });
  }
  const tags = await new RegistryClient(ref.registry, { env }).listTags(ref);
  if (!tags.length) throw new UsageError(`no tags found in ${ref.registry}/${ref.repository}`);
  return tags.sort().map((t) => `${ref.registry}/${ref.repository}:${t}`);
}

export default command;
