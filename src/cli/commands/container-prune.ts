/** `rr container prune [-f] [--filter until=…|label=…]`: every stopped container goes. */
import type { Command } from "../command.ts";
import { bool, list, parseArgs } from "../args.ts";
import { UsageError } from "../../errors.ts";
import { detectIdentity } from "../../runtime/identity.ts";
import { confirm } from "../confirm.ts";
import { parseFilters } from "../filter-args.ts";
import { humanSizeTotal } from "../go-text.ts";
import { compilePruneFilter, pruneContainers, PRUNE_FILTER_KEYS } from "../prune-containers.ts";

const USAGE = "Usage:  rr container prune [OPTIONS]";

const command: Command = {
  summary: "Remove all stopped containers",
  usage: `${USAGE}

Remove all stopped containers

Options:
      --filter filter   Provide filter values (e.g. "until=<timestamp>")
  -f, --force           Do not prompt for confirmation`,
  async run(argv, ctx) {
    const { options, positionals } = parseArgs(argv, [
      { name: "force", short: "f" }, { name: "filter", value: true, multiple: true },
    ], { command: "container prune" });
    if (positionals.length) throw new UsageError(`"rr container prune" accepts no arguments.`, { hint: USAGE });
    const match = compilePruneFilter(parseFilters(list(options, "filter"), PRUNE_FILTER_KEYS));
    if (!bool(options, "force") && !(await confirm("WARNING! This will remove all stopped containers."))) {
      ctx.out("");
      return 0;
    }
    const { deleted, reclaimed } = await pruneContainers(ctx, detectIdentity(ctx.env), match);
    if (deleted.length) ctx.out(`Deleted Containers:\n${deleted.join("\n")}\n\n`);
    ctx.out(`Total reclaimed space: ${humanSizeTotal(reclaimed)}`);
    return 0;
  },
};
export default command;
