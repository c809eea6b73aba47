/**
 * `rr network prune [-f] [--filter until=…|label=…|label!=…]`: every network
 * no container is attached to goes; never the default one.
 */
import { pruneNetworks } from "../../network/network-store.ts";
import { stopIdleHolder } from "../../runtime/network-membership.ts";
import { openCliStore } from "../open-store.ts";
import { pruneCommand } from "../prune-command.ts";
import { naturalCompare } from "../../network/ports.ts";

export default pruneCommand({
  command: "network prune",
  summary: "Remove all unused networks",
  optionsHelp: `      --filter filter   Provide filter values (e.g. "until=<timestamp>")
  -f, --force           Do not prompt for confirmation`,
  filters: true,
  question: () => "WARNING! This will remove all custom networks not used by at least one container.",
  async prune(ctx, _options, match) {
    const { store } = await openCliStore(ctx);
    const removed = pruneNetworks(store.root, (n) => match(n.created, n.labels));
    if (removed.length) ctx.out(`Deleted Networks:\n${removed.map((n) => n.name).sort(naturalCompare).join("\n")}\n\n`);
    stopIdleHolder(store.root);
  },
});
