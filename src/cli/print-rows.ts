/**
 * `--format` the way Docker's list commands read it: `table` (the default
 * columns), `table TEMPLATE`, `json` (one object per line, keys sorted as Go
 * marshals a map), or a bare Go template per row.
 */
import type { CliContext } from "./context.ts";
import { asStruct, compileTemplate } from "./go-template.ts";
import { formatTable } from "./format.ts";

export function printRows<Row extends object>(
  ctx: CliContext, rows: Row[], format: string | undefined, table: { headers: Row; columns: string },
): void {
  const f = (format ?? "table").replace(/\\t/g, "\t").replace(/\\n/g, "\n");
  rows = rows.map(asStruct);
  if (f === "json") {
    for (const r of rows) ctx.out(JSON.stringify(Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : 1)))));
    return;
  }
  if (f === "table" || f.startsWith("table ")) {
    const t = compileTemplate(f === "table" ? table.columns : f.slice("table ".length));
    for (const l of formatTable([t(asStruct(table.headers)), ...rows.map(t)].map((l) => l.split("\t")))) ctx.out(l);
    return;
  }
  const t = compileTemplate(f);
  for (const r of rows) ctx.out(t(r));
}
