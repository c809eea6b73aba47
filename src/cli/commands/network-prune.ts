/**
 * `rr network prune [-f] [--filter until=…|label=…|label!=…]`: every network
 * no container is attached to goes; never the default one.
 */
import type { Command } from "../command.ts";
import { bool, list, parseArgs } from "../args.ts";
import { UsageError } from "../../errors.ts";
import { pruneNetworks } from "../../network/network-store.ts";
import { stopIdleHolder } from "../../runtime/network-membership.ts";
import { confirm } from "../confirm.ts";
import { parseFilters } from "../filter-args.ts";
import { openCliStore } from "../open-store.ts";
import { compilePruneFilter, PRUNE_FILTER_KEYS } from "../prune-containers.ts";
import { naturalCompare } from "../../network/ports.ts";

const USAGE = "Usage:  rr network prune [OPTIONS]";

const command: Command = {
  summary: "Remove all unused networks",
  usage: `${USAGE}

Remove all unused networks

Options:
      --filter filter   Provide filter values (e.g. "until=<timestamp>")
  -f, --force           Do not prompt for confirmation`,
  async run(argv, ctx) {
    const { options, positionals } = parseArgs(argv, [
      { name: "force", short: "f" }, { name: "filter", value: true, multiple: true },
    ], { command: "network prune" });
    if (positionals.length) throw new UsageError(`"rr network prune" accepts no arguments.`, { hint: USAGE });
    const match = compilePruneFilter(parseFilters(list(options, "filter"), PRUNE_FILTER_KEYS));
    if (!bool(options, "force") && !(await confirm("WARNING! This will remove all custom networks not used by at least one container."))) {
      ctx.out("");
      return 0;
    }
    const { store } = await openCliStore(ctx);
    const removed = pruneNetworks(store.root, (n) => match(n.created, n.labels));
    if (removed.length) ctx.out(`Deleted Networks:\n${removed.map((n) => n.name).sort(naturalCompare).join("\n")}\n\n`);
    stopIdleHolder(store.root);
    return 0;
  },
};

export default command;
