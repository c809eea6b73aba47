/**
 * `rr images [-q] [-a] [--no-trunc] [--format F] [--filter K=V] [REPOSITORY[:TAG]]`:
 * one row per name, `<none>` for unnamed images, newest first, as Docker.
 */
import type { Command } from "../command.ts";
import { cachedImageIds } from "../../store/build-cache.ts";
import { printRows } from "../print-rows.ts";
import { bool, list, parseArgs, str } from "../args.ts";
import { UsageError } from "../../errors.ts";
import { parseReference } from "../../image/reference.ts";
import type { ImageRecord } from "../../store/image-store.ts";
import { humanSize, shortId, timeAgo } from "../format.ts";
import { openCliStore } from "../open-store.ts";

interface Row {
  ID: string; Repository: string; Tag: string; Digest: string; CreatedSince: string; CreatedAt: string;
  Size: string; VirtualSize: string; SharedSize: string; UniqueSize: string; Containers: string;
}

const HEADERS: Row = {
  ID: "IMAGE ID", Repository: "REPOSITORY", Tag: "TAG", Digest: "DIGEST", CreatedSince: "CREATED", CreatedAt: "CREATED AT",
  Size: "SIZE", VirtualSize: "VIRTUAL SIZE", SharedSize: "SHARED SIZE", UniqueSize: "UNIQUE SIZE", Containers: "CONTAINERS",
};
const DEFAULT_TABLE = "{{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";

const command: Command = {
  summary: "List images",
  usage: `Usage:  rr images [OPTIONS] [REPOSITORY[:TAG]]

List images

Options:
  -a, --all             Show all images (default hides intermediate images)
  -f, --filter filter   Filter output: dangling=true|false, reference=NAME
      --format string   Format output: 'table', 'json', or a Go template
      --no-trunc        Don't truncate output
  -q, --quiet           Only show image IDs`,
  async run(argv, ctx) {
    const { options, positionals } = parseArgs(argv, [
      { name: "all", short: "a" }, { name: "quiet", short: "q" }, { name: "no-trunc" },
      { name: "format", value: true }, { name: "filter", short: "f", value: true, multiple: true }, { name: "digests" },
    ], { command: "images" });
    if (positionals.length > 1) throw new UsageError(`"rr images" accepts at most 1 argument`, { hint: "Usage:  rr images [OPTIONS] [REPOSITORY[:TAG]]" });
    const noTrunc = bool(options, "no-trunc");
    const { store } = await openCliStore(ctx);
    const time = (i: ImageRecord) => Date.parse(i.created ?? "") || 0;
    // intermediate images of `rr build` (unnamed, kept by the build cache) show with -a only
    const intermediate = bool(options, "all") ? new Set<string>() : cachedImageIds(store.root);
    const images = store.images.list().filter((i) => i.names.length || !intermediate.has(i.id)).sort((a, b) => time(b) - time(a));
    let rows = images.flatMap((img) => rowsOf(img, noTrunc));
    rows = applyFilters(rows, positionals[0], list(options, "filter"));
    if (bool(options, "quiet")) {
      for (const id of new Set(rows.map((r) => r.ID))) ctx.out(id);
      return 0;
    }
    printRows(ctx, rows, str(options, "format"), { headers: HEADERS, columns: DEFAULT_TABLE });
    return 0;
  },
};

function rowsOf(img: ImageRecord, noTrunc: boolean): (Row & { full?: string })[] {
  const base = {
    ID: noTrunc ? img.id : shortId(img.id),
    Digest: "<none>",
    CreatedSince: timeAgo(img.created),
    CreatedAt: goTime(img.created),
    Size: humanSize(img.size), VirtualSize: humanSize(img.size),
    SharedSize: "N/A", UniqueSize: "N/A", Containers: "N/A",
  };
  if (!img.names.length) return [{ ...base, Repository: "<none>", Tag: "<none>" }];
  return img.names.map((n) => {
    const ref = parseReference(n);
    return { ...base, Repository: ref.familiarName(), Tag: ref.tag ?? "<none>", full: n };
  });
}

/** The REPOSITORY[:TAG] argument and `--filter` (dangling, reference). */
function applyFilters(rows: (Row & { full?: string })[], arg: string | undefined, filters: string[]): Row[] {
  const refs = [...(arg ? [arg] : []), ...filters.filter((f) => f.startsWith("reference=")).map((f) => f.slice("reference=".length))];
  for (const ref of refs) {
    const want = parseReference(ref, { defaultTag: false });
    rows = rows.filter((r) => {
      if (!r.full) return false;
      const have = parseReference(r.full);
      return have.name() === want.name() && (want.tag === undefined || have.tag === want.tag);
    });
  }
  for (const f of filters) {
    const [key, value] = f.split("=", 2);
    if (key === "reference") continue;
    if (key !== "dangling" || (value !== "true" && value !== "false")) {
      throw new UsageError(`invalid filter "${f}"`, { hint: "rr images supports --filter dangling=true|false and --filter reference=NAME." });
    }
    rows = rows.filter((r) => (r.Repository === "<none>") === (value === "true"));
  }
  return rows.map(({ full: _, ...r }) => r);
}

/** Go's time.Time String() in UTC: `2023-11-14 22:13:20 +0000 UTC`. */
function goTime(iso: string | undefined): string {
  const t = iso ? new Date(iso) : undefined;
  if (!t || Number.isNaN(t.getTime())) return "N/A";
  return `${t.toISOString().replace("T", " ").replace(/\.\d+Z$/, "").replace(/Z$/, "")} +0000 UTC`;
}

export default command;
