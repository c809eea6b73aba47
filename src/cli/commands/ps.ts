import type { Command } from "../command.ts";
import { bool, parseArgs, str } from "../args.ts";
import { listContainers, type ContainerRecord } from "../../store/container-store.ts";
import { formatTable, timeAgo, humanDuration } from "../format.ts";

function statusText(c: ContainerRecord, now: number): string {
  const s = c.state;
  if (s.status === "running") return `Up ${humanDuration(now - Date.parse(s.startedAt ?? c.created))}`;
  if (s.status === "created") return "Created";
  return `Exited (${s.exitCode ?? 0}) ${timeAgo(s.finishedAt, now)}`;
}

function commandText(c: ContainerRecord, noTrunc: boolean): string {
  const text = JSON.stringify(c.command.join(" "));
  return noTrunc || text.length <= 22 ? text : text.slice(0, 20) + "…\"";
}

const command: Command = {
  summary: "List containers",
  usage: `Usage:  rr ps [OPTIONS]

List containers

Options:
  -a, --all             Show all containers (default shows just running)
  -q, --quiet           Only display container IDs
      --no-trunc        Don't truncate output
      --format string   Format output: table, json`,
  async run(argv, ctx) {
    const { options: o } = parseArgs(argv, [
      { name: "all", short: "a" }, { name: "quiet", short: "q" }, { name: "no-trunc" }, { name: "format", value: true },
    ], { command: "ps" });
    const root = ctx.storePaths().root;
    const now = Date.now();
    const all = listContainers(root)
      .filter((c) => bool(o, "all") || c.state.status === "running")
      .sort((a, b) => b.created.localeCompare(a.created));
    const noTrunc = bool(o, "no-trunc");
    const id = (c: ContainerRecord) => (noTrunc ? c.id : c.id.slice(0, 12));
    if (bool(o, "quiet")) {
      for (const c of all) ctx.out(id(c));
      return 0;
    }
    if (str(o, "format") === "json") {
      for (const c of all) {
        ctx.out(JSON.stringify({
          ID: id(c), Image: c.image, Command: JSON.stringify(c.command.join(" ")), CreatedAt: c.created,
          Names: c.name, State: c.state.status, Status: statusText(c, now), Labels: c.labels,
        }));
      }
      return 0;
    }
    const rows = [["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]];
    for (const c of all) {
      rows.push([id(c), c.image, commandText(c, noTrunc), timeAgo(c.created, now), statusText(c, now), "", c.name]);
    }
    ctx.out(formatTable(rows).join("\n"));
    return 0;
  },
};
export default command;
