/**
 * Hidden: `rr __remove-paths --root DIR [--owner-pid PID] -- REL…` removes
 * store entries (`layers/<hex>`, `containers/<id>`, `tmp/<name>`) from
 * inside rr's user namespace, where files owned by subordinate ids can be
 * deleted. Anything else is refused.
 */
import type { Command } from "../command.ts";
import { parseArgs, str } from "../args.ts";
import { UsageError } from "../../errors.ts";
import { removePathsHere } from "../unpack.ts";

const command: Command = {
  summary: "Remove store entries (internal)",
  usage: "Usage:  rr __remove-paths --root DIR [--owner-pid PID] -- PATH...",
  async run(argv) {
    const { options, positionals } = parseArgs(argv, [
      { name: "root", value: true }, { name: "owner-pid", value: true },
    ], { command: "__remove-paths" });
    const root = str(options, "root");
    if (!root) throw new UsageError("__remove-paths needs --root");
    removePathsHere(root, positionals, Number(str(options, "owner-pid") ?? process.pid));
    return 0;
  },
};

export default command;
