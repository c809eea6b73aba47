/** `rr rename CONTAINER NEW_NAME`: silent on success, as Docker's. */
import type { Command } from "../command.ts";
import { parseArgs } from "../args.ts";
import { UsageError } from "../../errors.ts";
import { findContainer } from "../../store/container-store.ts";
import { renameContainer } from "../../store/container-rename.ts";
import { renameOnNetworks } from "../../runtime/network-membership.ts";

const USAGE = "Usage:  rr rename CONTAINER NEW_NAME";

const command: Command = {
  summary: "Rename a container",
  usage: `${USAGE}

Rename a container

Aliases:
  rr container rename, rr rename`,
  async run(argv, ctx) {
    const { positionals } = parseArgs(argv, [], { command: "rename" });
    if (positionals.length !== 2) throw new UsageError(`"rr rename" requires exactly 2 arguments.`, { hint: "See 'rr rename --help'." });
    const [oldRef, newName] = positionals as [string, string];
    if (!oldRef.trim() || !newName.trim()) throw new UsageError("Neither old nor new names may be empty");
    const root = ctx.storePaths().root;
    const id = findContainer(root, oldRef).id;
    renameContainer(root, id, newName);
    renameOnNetworks(root, id, newName); // peers resolve the new name
    return 0;
  },
};
export default command;
