/**
 * `rr network ls [-q] [--no-trunc] [-f KEY=VALUE] [--format F]`: rr's
 * networks and the host and none pseudo-networks, sorted by name, with
 * Docker's filters (driver, id, label, name, scope, type, dangling).
 */
import type { Command } from "../command.ts";
import { bool, list, parseArgs, str } from "../args.ts";
import { UsageError } from "../../errors.ts";
import { listContainers, type ContainerRecord } from "../../store/container-store.ts";
import { matchesAllLabels, matchesAny, parseFilters, type Filters } from "../filter-args.ts";
import { printRows } from "../print-rows.ts";
import { openCliStore } from "../open-store.ts";
import { allNetworks, attachedCount, NETWORK_HEADERS, networkRow, type ShownNetwork } from "./network-view.ts";

const USAGE = "Usage:  rr network ls [OPTIONS]";
const FILTER_KEYS = ["driver", "id", "label", "name", "scope", "type", "dangling"] as const;
const DEFAULT_TABLE = "{{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}";

const command: Command = {
  summary: "List networks",
  usage: `${USAGE}

List networks

Aliases:
  rr network ls, rr network list

Options:
  -f, --filter filter   Provide filter values (e.g. "driver=bridge")
      --format string   Format output: 'table', 'json', or a Go template
      --no-trunc        Do not truncate the output
  -q, --quiet           Only display network IDs`,
  async run(argv, ctx) {
    const { options, positionals } = parseArgs(argv, [
      { name: "quiet", short: "q" }, { name: "no-trunc" }, { name: "format", value: true },
      { name: "filter", short: "f", value: true, multiple: true },
    ], { command: "network ls" });
    if (positionals.length) throw new UsageError(`"rr network ls" accepts no arguments.`, { hint: USAGE });
    const filters = parseFilters(list(options, "filter"), FILTER_KEYS);
    const { store } = await openCliStore(ctx);
    const match = compileFilters(filters, store.root);
    const shown = allNetworks(store.root).filter(match);
    const rows = shown.map((n) => networkRow(n, bool(options, "no-trunc")));
    if (bool(options, "quiet")) {
      for (const r of rows) ctx.out(r.ID!);
      return 0;
    }
    printRows(ctx, rows, str(options, "format"), { headers: NETWORK_HEADERS, columns: DEFAULT_TABLE });
    return 0;
  },
};

const BUILTIN = new Set(["bridge", "host", "none"]);

/** Docker's network filters: driver and scope exact, id and name by filters.Match, label by MatchKVList. */
function compileFilters(f: Filters, root: string): (n: ShownNetwork) => boolean {
  const types = f.get("type") ?? [];
  for (const t of types) if (t !== "custom" && t !== "builtin") throw new UsageError(`invalid filter: 'type'='${t}'`, { hint: "Use type=custom or type=builtin." });
  const dangling = f.get("dangling") ?? [];
  for (const d of dangling) if (!/^(true|false|1|0)$/i.test(d)) throw new UsageError(`invalid filter 'dangling=${d}'`, { hint: "Use dangling=true or dangling=false." });
  let containers: ContainerRecord[] | undefined;
  const all = () => (containers ??= listContainers(root));
  return (n) => {
    const v = (k: string) => f.get(k);
    if (v("driver") && !v("driver")!.includes(n.driver)) return false;
    if (v("scope") && !v("scope")!.includes("local")) return false;
    if (v("name") && !matchesAny(v("name")!, n.name)) return false;
    if (v("id") && !matchesAny(v("id")!, n.id)) return false;
    if (v("label") && !matchesAllLabels(v("label")!, n.labels)) return false;
    if (types.length && !types.includes(BUILTIN.has(n.name) ? "builtin" : "custom")) return false;
    // dangling: a custom network no container is attached to (the last value wins, as in Docker)
    if (dangling.length) {
      const want = /^(true|1)$/i.test(dangling.at(-1)!);
      if ((!BUILTIN.has(n.name) && attachedCount(n, all) === 0) !== want) return false;
    }
    return true;
  };
}

export default command;
