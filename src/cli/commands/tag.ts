/** `rr tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]`: one more name for an image. */
import type { Command } from "../command.ts";
import { parseArgs } from "../args.ts";
import { UsageError } from "../../errors.ts";
import { openCliStore } from "../open-store.ts";

const command: Command = {
  summary: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
  usage: "Usage:  rr tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n\nCreate a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
  async run(argv, ctx) {
    const { positionals } = parseArgs(argv, [], { command: "tag" });
    if (positionals.length !== 2) {
      throw new UsageError(`"rr tag" requires exactly 2 arguments`, { hint: "Usage:  rr tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]" });
    }
    const { store } = await openCliStore(ctx);
    const image = store.images.resolve(positionals[0]!);
    store.images.tag(image, positionals[1]!);
    return 0;
  },
};

export default command;
