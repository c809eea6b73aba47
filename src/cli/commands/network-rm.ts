/**
 * `rr network rm [-f] NETWORK…`: each network named is removed unless a
 * container is attached to it; the others still go, and the exit code is 1
 * if any failed, as Docker's. The predefined networks stay.
 */
import type { Command } from "../command.ts";
import { bool, parseArgs } from "../args.ts";
import { ConflictError, NotFoundError } from "../../errors.ts";
import { removeNetwork } from "../../network/network-store.ts";
import { eachRef, requireArgs } from "../each-container.ts";
import { openCliStore } from "../open-store.ts";
import { resolveNetwork } from "./network-view.ts";

const command: Command = {
  summary: "Remove one or more networks",
  usage: `Usage:  rr network rm NETWORK [NETWORK...]

Remove one or more networks

Aliases:
  rr network rm, rr network remove

Options:
  -f, --force   Do not error if the network does not exist`,
  async run(argv, ctx) {
    const { options, positionals } = parseArgs(argv, [{ name: "force", short: "f" }], { command: "network rm" });
    requireArgs("network rm", positionals);
    const { store } = await openCliStore(ctx);
    return eachRef(ctx, positionals, async (ref) => {
      try {
        const n = resolveNetwork(store.root, ref);
        if (!n.rec) throw new ConflictError(`${n.name} is a pre-defined network and cannot be removed`);
        removeNetwork(store.root, n.id);
      } catch (err) {
        if (err instanceof NotFoundError && bool(options, "force")) return undefined;
        throw err;
      }
      return ref;
    });
  },
};

export default command;
