/**
 * One container as `rr ps` shows it: the fields of Docker's ContainerContext
 * (`{{.ID}}`, `{{.Status}}`, `{{.Label "k"}}` …) with Docker's texts. Fields
 * are getters, so a template pays only for what it prints.
 */
import { parseReference } from "../image/reference.ts";
import { formatPorts } from "../network/ports.ts";
import type { Attachment } from "../network/network-store.ts";
import { networkModeName, parseNetworkMode } from "../runtime/network-mode.ts";
import { livePorts, unpublishedExposed } from "./container-ports.ts";
import type { ContainerRecord } from "../store/container-store.ts";
import { humanDuration, humanSize } from "./format.ts";
import { ellipsis, goQuote, goTimeString } from "./go-text.ts";

/** Docker's default `ps` columns: `table {{.ID}}\t{{.Image}}\t…\t{{.Names}}`. */
export const PS_COLUMNS = ["ID", "Image", "Command", "RunningFor", "Status", "Ports", "Names"];

export interface RowOptions {
  now: number;
  trunc: boolean;
  /** The image as the daemon reports it: the name while it still means this image, else the id (asked lazily). */
  image: () => string;
  /** SizeRw and SizeRootFs, when asked for (-s). */
  size?: { rw: number; rootFs: number };
  /** The container's networks (containerNetworkNames), asked lazily; without them the Networks column shows the start mode only. */
  networks?: () => string[];
}

interface BindLike { type?: string; source?: string; destination?: string; readonly?: boolean }

/** Running in Docker's sense (listed without -a, counted ACTIVE): running, paused or restarting. */
export const isActive = (c: ContainerRecord) => c.state.status === "running" || c.state.status === "paused" || c.state.status === "restarting";

/** Image labels under the container's own, as Docker merges them into Config.Labels. */
export function containerLabels(rec: ContainerRecord): Record<string, string> {
  const fromImage = (rec.imageConfig?.Labels ?? {}) as Record<string, string>;
  return { ...fromImage, ...rec.labels };
}

/** Docker's State.String(). */
export function statusText(rec: ContainerRecord, now: number): string {
  const s = rec.state;
  const since = (iso: string | undefined) => humanDuration(Math.max(0, now - (iso ? Date.parse(iso) : now)));
  switch (s.status) {
    case "running": return `Up ${since(s.startedAt ?? rec.created)}`;
    case "paused": return `Up ${since(s.startedAt ?? rec.created)} (Paused)`;
    case "restarting": return `Restarting (${s.exitCode ?? 0}) ${since(s.finishedAt)} ago`;
    case "created": return "Created";
    default: return `Exited (${s.exitCode ?? 0}) ${since(s.finishedAt ?? s.startedAt)} ago`;
  }
}

/**
 * The networks `ps` shows, sorted as Docker sorts them: every rr network the
 * container has an address on (start network and `rr network connect`, kept
 * while it is stopped), plus its mode when that is not an rr network (host,
 * none, container:X, slirp4netns). A container disconnected from every
 * network it was given shows none, as in Docker.
 */
export function containerNetworkNames(rec: ContainerRecord, on: Attachment[]): string[] {
  const names = on.map(({ network }) => network.name);
  const mode = rec.request?.network as string | undefined;
  if (mode === undefined || parseNetworkMode(mode).kind !== "network") names.push(networkModeName(mode));
  return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The daemon's Command: path and arguments, an argument with a space in single quotes. */
export function commandText(rec: ContainerRecord): string {
  const [path = "", ...args] = rec.command;
  return [path, ...args.map((a) => (a.includes(" ") ? `'${a}'` : a))].join(" ");
}

const shortId = (s: string) => s.replace(/^sha256:/, "").slice(0, 12);
const imageCache = new Map<string, string>();

/** The CLI's Image column: an id cut to 12, a name without its digest. */
function imageColumn(image: string, imageId: string, trunc: boolean): string {
  if (!image) return "<no image>";
  if (!trunc) return image;
  if (shortId(imageId) === shortId(image)) return shortId(image);
  let shown = imageCache.get(image);
  if (shown === undefined) {
    try {
      const ref = parseReference(image, { defaultTag: false });
      shown = ref.tag ? `${ref.familiarName()}:${ref.tag}` : ref.familiarName();
    } catch {
      shown = image;
    }
    imageCache.set(image, shown);
  }
  return shown;
}

function binds(rec: ContainerRecord): BindLike[] {
  const mounts = (rec.request?.mounts ?? []) as BindLike[];
  return mounts.filter((m) => m.type === "bind");
}

export type PsRow = Record<string, unknown>;

export function psRow(rec: ContainerRecord, o: RowOptions): PsRow {
  // Docker's API reports creation in whole seconds
  const created = Math.floor(Date.parse(rec.created) / 1000) * 1000;
  const row: PsRow = {
    get Command() { return goQuote(o.trunc ? ellipsis(commandText(rec), 20) : commandText(rec)); },
    get CreatedAt() { return goTimeString(created); },
    get ID() { return o.trunc ? rec.id.slice(0, 12) : rec.id; },
    get Image() { return imageColumn(o.image(), rec.imageId, o.trunc); },
    get Labels() { return Object.entries(containerLabels(rec)).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${v}`).join(","); },
    LocalVolumes: "0",
    get Mounts() { return binds(rec).map((m) => (o.trunc ? ellipsis(m.source ?? "", 15) : m.source ?? "")).join(","); },
    Names: rec.name,
    get Networks() { return (o.networks?.() ?? [networkModeName(rec.request?.network as string | undefined)]).join(","); },
    Platform: null,
    get Ports() { return formatPorts(livePorts(rec), unpublishedExposed(rec)); },
    get RunningFor() { return `${humanDuration(Math.max(0, o.now - created))} ago`; },
    get Size() {
      if (!o.size) return "0B";
      const rw = humanSize(o.size.rw);
      return o.size.rootFs > 0 ? `${rw} (virtual ${humanSize(o.size.rootFs)})` : rw;
    },
    State: rec.state.status,
    get Status() { return statusText(rec, o.now); },
  };
  // a method, as in Docker: {{.Label "com.example.x"}}; not a field of the JSON
  Object.defineProperty(row, "Label", { value: (name: string) => containerLabels(rec)[name] ?? "", enumerable: false });
  return row;
}

/** The header row: Docker's column titles; `{{.Label "a.b-c"}}` is titled "b c". */
export const PS_HEADERS: PsRow = Object.defineProperty({
  Command: "COMMAND", CreatedAt: "CREATED AT", ID: "CONTAINER ID", Image: "IMAGE", Labels: "LABELS",
  LocalVolumes: "LOCAL VOLUMES", Mounts: "MOUNTS", Names: "NAMES", Networks: "NETWORKS", Platform: "PLATFORM",
  Ports: "PORTS", RunningFor: "CREATED", Size: "SIZE", State: "STATE", Status: "STATUS",
}, "Label", { value: (name: string) => (name.split(".").pop() ?? "").replace(/[-_]/g, " "), enumerable: false });
