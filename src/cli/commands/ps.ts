/**
 * `rr ps`: Docker's container listing — newest first, running only unless
 * -a (or -n/-l, or a status filter), `--filter`, `--format table|json|TEMPLATE`.
 * It reads only the records (and images or network records when the
 * output or a filter needs them).
 */
import type { Command } from "../command.ts";
import { bool, list, parseArgs, str } from "../args.ts";
import { UsageError } from "../../errors.ts";
import { listContainers, type ContainerRecord } from "../../store/container-store.ts";
import { compilePsFilter, PS_FILTER_KEYS } from "../container-filters.ts";
import { CollectedOutput } from "../collected-output.ts";
import { ContainerImages } from "../container-images.ts";
import { containerNetworkNames, isActive, PS_COLUMNS, PS_HEADERS, psRow } from "../container-row.ts";
import { containerSizeRw } from "../container-size.ts";
import { parseFilters } from "../filter-args.ts";
import { formatTable } from "../format.ts";
import { goJson } from "../go-text.ts";
import { printRows } from "../print-rows.ts";
import { listedNetworks } from "./network-view.ts";
import { endpointReader } from "../../network/network-store.ts";

const USAGE = `Usage:  rr ps [OPTIONS]

List containers

Aliases:
  rr container ls, rr container list, rr container ps, rr ps

Options:
  -a, --all             Show all containers (default shows just running)
  -f, --filter filter   Filter output based on conditions provided
      --format string   Format output using a custom template:
                        'table':            Print output in table format with column headers (default)
                        'table TEMPLATE':   Print output in table format using the given Go template
                        'json':             Print in JSON format
                        'TEMPLATE':         Print output using the given Go template
  -n, --last int        Show n last created containers (includes all states) (default -1)
  -l, --latest          Show the latest created container (includes all states)
      --no-trunc        Don't truncate output
  -q, --quiet           Only display container IDs
  -s, --size            Display total file sizes`;

const command: Command = {
  summary: "List containers",
  usage: USAGE,
  async run(argv, ctx) {
    const { options: o, positionals } = parseArgs(argv, [
      { name: "all", short: "a" }, { name: "quiet", short: "q" }, { name: "no-trunc" }, { name: "format", value: true },
      { name: "filter", short: "f", value: true, multiple: true }, { name: "last", short: "n", value: true },
      { name: "latest", short: "l" }, { name: "size", short: "s" },
    ], { command: "ps" });
    if (positionals.length) throw new UsageError(`"rr ps" accepts no arguments.`, { hint: "See 'rr ps --help'." });
    const limit = bool(o, "latest") ? 1 : parseLast(str(o, "last"));
    const filters = parseFilters(list(o, "filter"), PS_FILTER_KEYS);
    const quiet = bool(o, "quiet");
    let format = str(o, "format");
    if (format !== undefined && quiet) {
      process.stderr.write("WARNING: Ignoring custom format, because both --format and --quiet are set.\n");
      format = undefined;
    }

    const root = ctx.storePaths().root;
    const out = new CollectedOutput(ctx);
    const now = Date.now();
    const all = listContainers(root).sort(newestFirst);
    const images = new ContainerImages(root);
    const endpoints = endpointReader(root); // the network files, read once if a filter or the output needs them
    const filter = compilePsFilter(filters, {
      containers: all, ancestorIds: (ref) => images.ancestorIds(ref), networksOf: listedNetworks(root, endpoints),
    });
    const showAll = bool(o, "all") || limit > 0 || filter.impliesAll;
    let shown = all.filter((c) => (showAll || isActive(c)) && filter.test(c));
    if (limit > 0) shown = shown.slice(0, limit);

    const trunc = !bool(o, "no-trunc");
    if (quiet) {
      for (const c of shown) out.out(trunc ? c.id.slice(0, 12) : c.id);
      out.flush();
      return 0;
    }
    // Docker computes sizes for -s, or when the template asks for .Size
    const withSize = bool(o, "size") || (format !== undefined && format !== "json" && format.includes(".Size"));
    const rows = shown.map((c) => psRow(c, {
      now, trunc, image: () => images.shownImage(c), networks: () => containerNetworkNames(c, endpoints(c.id)),
      size: withSize ? sizes(root, c, images) : undefined,
    }));
    const columns = bool(o, "size") ? [...PS_COLUMNS, "Size"] : PS_COLUMNS;
    if (format === "json") {
      for (const r of rows) out.out(goJson(r));
    } else if (format === undefined || format === "table") {
      // the default listing skips the template interpreter: it is the one people run most, over every container
      const cells = (r: Record<string, unknown>) => columns.map((k) => String(r[k]));
      for (const line of formatTable([cells(PS_HEADERS), ...rows.map(cells)])) out.out(line);
    } else {
      printRows(out, rows, format, { headers: PS_HEADERS, columns: columns.map((k) => `{{.${k}}}`).join("\t") });
    }
    out.flush();
    return 0;
  },
};

function parseLast(text: string | undefined): number {
  if (text === undefined) return -1;
  if (!/^-?\d+$/.test(text)) throw new UsageError(`invalid argument "${text}" for "-n, --last" flag: not a whole number`, { hint: "See 'rr ps --help'." });
  return Number(text);
}

function newestFirst(a: ContainerRecord, b: ContainerRecord): number {
  return a.created < b.created ? 1 : a.created > b.created ? -1 : a.id < b.id ? 1 : -1;
}

function sizes(root: string, c: ContainerRecord, images: ContainerImages): { rw: number; rootFs: number } {
  const rw = containerSizeRw(root, c);
  return { rw, rootFs: rw + images.sizeOf(c.imageId) };
}

export default command;
