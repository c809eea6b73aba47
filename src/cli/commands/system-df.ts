/**
 * `rr system df [-v] [--format F]`: Docker's summary (TYPE TOTAL ACTIVE SIZE
 * RECLAIMABLE) or, with -v, its four detailed tables.
 */
import type { Command } from "../command.ts";
import { bool, parseArgs, str } from "../args.ts";
import { UsageError } from "../../errors.ts";
import { familiarize } from "../../image/reference.ts";
import { CollectedOutput } from "../collected-output.ts";
import { ContainerImages } from "../container-images.ts";
import { isActive, psRow } from "../container-row.ts";
import { diskUsage, type DiskUsage } from "../disk-usage.ts";
import { formatTable, humanSize, shortId, timeAgo } from "../format.ts";
import { humanSizeTotal } from "../go-text.ts";
import { openCliStore } from "../open-store.ts";
import { printRows } from "../print-rows.ts";
import type { CliContext } from "../context.ts";

const USAGE = "Usage:  rr system df [OPTIONS]";

interface Row { Type: string; TotalCount: string; Active: string; Size: string; Reclaimable: string }
const HEADERS: Row = { Type: "TYPE", TotalCount: "TOTAL", Active: "ACTIVE", Size: "SIZE", Reclaimable: "RECLAIMABLE" };

const command: Command = {
  summary: "Show rr disk usage",
  usage: `${USAGE}

Show rr disk usage

Options:
      --format string   Format output using a custom template: 'table', 'table TEMPLATE', 'json' or 'TEMPLATE'
  -v, --verbose         Show detailed information on space usage`,
  async run(argv, ctx) {
    const { options, positionals } = parseArgs(argv, [{ name: "verbose", short: "v" }, { name: "format", value: true }], { command: "system df" });
    if (positionals.length) throw new UsageError(`"rr system df" accepts no arguments.`, { hint: USAGE });
    const format = str(options, "format");
    if (bool(options, "verbose") && format !== undefined && format !== "table") {
      throw new UsageError("rr system df -v prints tables only", { hint: "Leave out --format, or -v." });
    }
    const { store } = await openCliStore(ctx);
    const du = diskUsage(store.root, store.images.list());
    const out = new CollectedOutput(ctx);
    if (bool(options, "verbose")) printVerbose(out, du, new ContainerImages(store.root));
    else printRows(out, summary(du), format, { headers: HEADERS, columns: "{{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}" });
    out.flush();
    return 0;
  },
};

/** "1.2MB (50%)": the share is of `total`, cut to a whole percent as Go's integer division does. */
function reclaimable(bytes: number, total: number): string {
  return total > 0 ? `${humanSizeTotal(bytes)} (${Math.trunc((bytes * 100) / total)}%)` : humanSizeTotal(bytes);
}

function summary(du: DiskUsage): Row[] {
  const inUse = du.images.filter((i) => i.containers > 0);
  const used = inUse.reduce((n, i) => n + i.size - i.sharedSize, 0);
  const ctrTotal = du.containers.reduce((n, c) => n + c.sizeRw, 0);
  const ctrIdle = du.containers.filter((c) => !isActive(c.rec)).reduce((n, c) => n + c.sizeRw, 0);
  return [
    { Type: "Images", TotalCount: String(du.images.length), Active: String(inUse.length), Size: humanSizeTotal(du.layersSize), Reclaimable: reclaimable(du.layersSize - used, du.layersSize) },
    { Type: "Containers", TotalCount: String(du.containers.length), Active: String(du.containers.filter((c) => isActive(c.rec)).length), Size: humanSizeTotal(ctrTotal), Reclaimable: reclaimable(ctrIdle, ctrTotal) },
    { Type: "Local Volumes", TotalCount: "0", Active: "0", Size: "0B", Reclaimable: "0B" },
    { Type: "Build Cache", TotalCount: "0", Active: "0", Size: "0B", Reclaimable: "0B" },
  ];
}

function printVerbose(ctx: CliContext, du: DiskUsage, images: ContainerImages): void {
  const table = (rows: string[][]) => formatTable(rows).join("\n");
  const imageRows = du.images.map((u) => {
    const first = u.image.names[0] ? familiarize(u.image.names[0]) : undefined;
    const colon = first?.lastIndexOf(":") ?? -1;
    const [repo, tag] = first && colon > first.lastIndexOf("/") ? [first.slice(0, colon), first.slice(colon + 1)] : ["<none>", "<none>"];
    return [repo, tag, shortId(u.image.id), timeAgo(u.image.created), humanSize(u.size), humanSize(u.sharedSize),
      humanSizeTotal(u.size - u.sharedSize), String(u.containers)];
  });
  const now = Date.now();
  const ctrRows = du.containers.map(({ rec, sizeRw }) => {
    const r = psRow(rec, { now, trunc: true, image: () => images.shownImage(rec), size: { rw: sizeRw, rootFs: 0 } });
    return [r.ID, r.Image, r.Command, r.LocalVolumes, r.Size, r.RunningFor, r.Status, r.Names].map(String);
  });
  ctx.out(`Images space usage:

${table([["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE", "SHARED SIZE", "UNIQUE SIZE", "CONTAINERS"], ...imageRows])}

Containers space usage:

${table([["CONTAINER ID", "IMAGE", "COMMAND", "LOCAL VOLUMES", "SIZE", "CREATED", "STATUS", "NAMES"], ...ctrRows])}

Local Volumes space usage:

${table([["VOLUME NAME", "LINKS", "SIZE"]])}

Build cache usage: 0B

${table([["CACHE ID", "CACHE TYPE", "SIZE", "CREATED", "LAST USED", "USAGE", "SHARED"]])}`);
}

export default command;
