/** `rr container prune [-f] [--filter until=…|label=…]`: every stopped container goes. */
import { detectIdentity } from "../../runtime/identity.ts";
import { humanSizeTotal } from "../go-text.ts";
import { pruneCommand } from "../prune-command.ts";
import { pruneContainers } from "../prune-containers.ts";

export default pruneCommand({
  command: "container prune",
  summary: "Remove all stopped containers",
  optionsHelp: `      --filter filter   Provide filter values (e.g. "until=<timestamp>")
  -f, --force           Do not prompt for confirmation`,
  filters: true,
  question: () => "WARNING! This will remove all stopped containers.",
  async prune(ctx, _options, match) {
    const { deleted, reclaimed } = await pruneContainers(ctx, detectIdentity(ctx.env), match);
    if (deleted.length) ctx.out(`Deleted Containers:\n${deleted.join("\n")}\n\n`);
    ctx.out(`Total reclaimed space: ${humanSizeTotal(reclaimed)}`);
  },
});
