import type { Command } from "../command.ts";
import { parseArgs } from "../args.ts";
import { findContainer } from "../../store/container-store.ts";
import { requireRunning } from "../../runtime/container-pause.ts";
import { containerProcesses } from "../../runtime/container-processes.ts";
import { psEfTable, psTable, type ProcessTable } from "../../runtime/process-table.ts";
import { RrError, UsageError } from "../../errors.ts";

/** Docker prints top's table with tabwriter(minwidth 20, padding 3); the last column is not padded. */
function layout(t: ProcessTable): string[] {
  const rows = [t.titles, ...t.processes];
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => {
    if (i < row.length - 1) widths[i] = Math.max(widths[i] ?? 0, 20, cell.length + 3);
  });
  return rows.map((row) => row.map((cell, i) => (i < row.length - 1 ? cell.padEnd(widths[i]!) : cell)).join(""));
}

const command: Command = {
  summary: "Display the running processes of a container",
  usage: `Usage:  rr top CONTAINER [ps OPTIONS]

Display the running processes of a container

Without ps options the columns are those of 'ps -ef', read from /proc.
With options, the host's ps runs with them and only the container's
processes are shown (PIDs are the host's).`,
  async run(argv, ctx) {
    const { positionals } = parseArgs(argv, [], { command: "top", stopAtPositional: true });
    const [ref, ...psArgs] = positionals;
    if (ref === undefined) throw new UsageError(`"rr top" requires at least 1 argument.`, { hint: "See 'rr top --help'." });
    const c = findContainer(ctx.storePaths().root, ref);
    const pid = requireRunning(c, ref);
    const pids = containerProcesses({ pid, cgroupPaths: c.cgroupPaths });
    let table: ProcessTable;
    if (psArgs.length) {
      const ps = Bun.which("ps", { PATH: ctx.env.PATH ?? "" });
      if (!ps) {
        throw new RrError("rr top with ps options runs the host's ps, and ps is not installed", {
          hint: "Install procps (apt-get install procps), or run 'rr top CONTAINER' without options.",
        });
      }
      table = psTable(psArgs, pids, ps);
    } else {
      table = psEfTable(pids);
    }
    ctx.out(layout(table).join("\n"));
    return 0;
  },
};
export default command;
