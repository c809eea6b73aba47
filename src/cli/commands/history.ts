/**
 * `rr history [OPTIONS] IMAGE` (also `rr image history`): the image's
 * build steps from its config's `history`, newest first, as Docker shows
 * them. Only the newest step is the image itself; older ones print
 * `<missing>` (Docker keeps no image for them either once pulled).
 * A step that made a layer shows that layer's stored size; `empty_layer`
 * steps show 0B.
 */
import type { Command } from "../command.ts";
import { printRows } from "../print-rows.ts";
import { bool, parseArgs, str } from "../args.ts";
import { UsageError } from "../../errors.ts";
import type { HistoryEntry } from "../../image/image-config.ts";
import type { ImageRecord } from "../../store/image-store.ts";
import { humanSize, shortId, timeAgo } from "../format.ts";
import { openCliStore } from "../open-store.ts";

export interface HistoryRow {
  ID: string;
  CreatedSince: string;
  CreatedAt: string;
  CreatedBy: string;
  Size: string;
  Comment: string;
}

const HEADERS: HistoryRow = { ID: "IMAGE", CreatedSince: "CREATED", CreatedAt: "CREATED AT", CreatedBy: "CREATED BY", Size: "SIZE", Comment: "COMMENT" };
const DEFAULT_TABLE = "{{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}";
const USAGE = "Usage:  rr history [OPTIONS] IMAGE";

const command: Command = {
  summary: "Show the history of an image",
  usage: `${USAGE}

Show the history of an image

Options:
      --format string   Format output: 'table', 'json', or a Go template
  -H, --human           Print sizes and dates in human readable format (default true)
      --no-trunc        Don't truncate output
  -q, --quiet           Only show image IDs`,
  async run(argv, ctx) {
    const { options, positionals } = parseArgs(argv, [
      { name: "no-trunc" }, { name: "quiet", short: "q" }, { name: "format", value: true }, { name: "human", short: "H" },
    ], { command: "history" });
    if (positionals.length !== 1) throw new UsageError(`"rr history" requires exactly 1 argument`, { hint: USAGE });
    const { store } = await openCliStore(ctx);
    const image = store.images.resolve(positionals[0]!);
    const human = options.human !== false;
    const rows = historyRows(image, { noTrunc: bool(options, "no-trunc"), human });
    if (bool(options, "quiet")) {
      for (const r of rows) ctx.out(r.ID);
      return 0;
    }
    printRows(ctx, rows, str(options, "format"), { headers: HEADERS, columns: DEFAULT_TABLE });
    return 0;
  },
};

/** Rows newest first. An image without history gets one row per layer, as Docker synthesizes. */
export function historyRows(image: ImageRecord, opts: { noTrunc?: boolean; human?: boolean; now?: number } = {}): HistoryRow[] {
  const history: HistoryEntry[] = image.config.history?.length
    ? image.config.history
    : image.layers.map(() => ({ created: image.created, created_by: "", empty_layer: false }));
  let layer = 0;
  const rows = history.map((h) => {
    const size = h.empty_layer ? 0 : image.layers[layer++]?.size ?? 0;
    const createdBy = (h.created_by ?? "").replace(/\t/g, " ");
    return {
      ID: "<missing>",
      CreatedSince: opts.human === false ? (h.created ?? "") : timeAgo(h.created, opts.now),
      CreatedAt: h.created ?? "",
      CreatedBy: opts.noTrunc ? createdBy : ellipsis(createdBy, 45),
      Size: opts.human === false ? String(size) : humanSize(size),
      Comment: h.comment ?? "",
    };
  }).reverse();
  if (rows[0]) rows[0].ID = opts.noTrunc ? image.id : shortId(image.id);
  return rows;
}

/** Docker's stringutils.Ellipsis: at most `max` characters, the last one `…` when cut. */
function ellipsis(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : chars.slice(0, max - 1).join("") + "…";
}

export default command;
