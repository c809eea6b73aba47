/**
 * `rr diff CONTAINER` (also `rr container diff`): the files the container
 * added (A), changed (C) and deleted (D) against its image, as `docker diff`
 * lists them.
 */
import type { Command } from "../command.ts";
import { parseArgs } from "../args.ts";
import { UsageError } from "../../errors.ts";
import { openCliStore } from "../open-store.ts";
import { findContainer } from "../../store/container-store.ts";
import { viewSpecFor } from "../../runtime/container-fs/view-spec.ts";
import { withContainerFs } from "../../runtime/container-fs/runner.ts";
import type { Change } from "../../runtime/container-fs/changes.ts";

const USAGE = "Usage:  rr diff CONTAINER";

const command: Command = {
  summary: "Inspect changes to files or directories on a container's filesystem",
  usage: `${USAGE}

Inspect changes to files or directories on a container's filesystem`,
  async run(argv, ctx) {
    const { positionals } = parseArgs(argv, [], { command: "diff" });
    if (positionals.length !== 1) throw new UsageError(`"rr diff" requires exactly 1 argument`, { hint: USAGE });
    const { store, identity } = await openCliStore(ctx);
    const rec = findContainer(store.root, positionals[0]!);
    const spec = viewSpecFor(store.root, rec, { live: false });
    const { changes } = await withContainerFs(identity, { spec, op: { op: "changes" } }, (ch) => ch.json<{ changes: Change[] }>());
    if (changes.length) ctx.out(changes.map((c) => `${c.kind} ${c.path}`).join("\n"));
    return 0;
  },
};
export default command;
