/**
 * `rr ps --filter`: Docker's container filters with its daemon's rules
 * (daemon/list.go): name and id as Go regular expressions (id also as a
 * prefix), every label must hold, `status=` implies --all, `exited=` only
 * matches containers that ran, `ancestor=` takes the image and the images
 * built on it, `network=` a network's name or id prefix, `publish=`/`expose=`
 * a port or range against the ports a running container shows.
 */
import { NotFoundError, UsageError } from "../errors.ts";
import type { ContainerRecord } from "../store/container-store.ts";
import { parsePortRange } from "../network/ports.ts";
import { containerLabels } from "./container-row.ts";
import { livePorts, unpublishedExposed } from "./container-ports.ts";
import { matchesAllLabels, matchesAny, type Filters } from "./filter-args.ts";

export const PS_FILTER_KEYS = [
  "ancestor", "before", "exited", "expose", "health", "id", "is-task", "isolation", "label", "name", "network",
  "publish", "since", "status", "volume",
] as const;

const STATES = ["created", "restarting", "running", "removing", "paused", "exited", "dead"];
const HEALTH = ["starting", "healthy", "unhealthy", "none"];

export interface PsFilterContext {
  /** Every container, newest first (the order `before`/`since` count in). */
  containers: ContainerRecord[];
  /** Image ids an `ancestor=` value stands for (the image and its descendants); empty when unknown. */
  ancestorIds(ref: string): string[];
  /** The networks `rr network ls` lists that the container is on (asked only for `network=`). */
  networksOf(rec: ContainerRecord): { name: string; id: string }[];
}

export interface PsFilter {
  /** A status filter lists stopped containers without -a, as in Docker. */
  impliesAll: boolean;
  test(rec: ContainerRecord): boolean;
}

type Check = (rec: ContainerRecord) => boolean;

export function compilePsFilter(filters: Filters, ctx: PsFilterContext): PsFilter {
  const checks: Check[] = [];
  const get = (k: string) => filters.get(k) ?? [];
  const position = new Map(ctx.containers.map((c, i) => [c.id, i]));

  for (const v of get("status")) if (!STATES.includes(v)) throw new UsageError(`invalid filter 'status=${v}'`, { hint: `Valid states: ${STATES.join(", ")}.` });
  for (const v of get("health")) if (!HEALTH.includes(v)) throw new UsageError(`Unrecognised filter value for health: ${v}`);
  const exitCodes = get("exited").map((v) => {
    if (!/^-?\d+$/.test(v)) throw new UsageError(`invalid filter 'exited=${v}': the exit code must be a whole number`);
    return Number(v);
  });
  const isTask = get("is-task");
  if (isTask.length && !(isTask.length === 1 && (isTask[0] === "true" || isTask[0] === "false"))) {
    throw new UsageError(`invalid filter 'is-task=${isTask.join(",")}'`);
  }

  const names = get("name");
  if (names.length) checks.push((c) => matchesAny(names, `/${c.name}`) || matchesAny(names, c.name));
  const ids = get("id");
  if (ids.length) checks.push((c) => ids.some((v) => c.id.startsWith(v)) || matchesAny(ids, c.id));
  const labels = get("label");
  if (labels.length) checks.push((c) => matchesAllLabels(labels, containerLabels(c)));
  const before = get("before").map((v) => position.get(lookup(ctx.containers, v))!);
  if (before.length) checks.push((c) => before.every((p) => position.get(c.id)! > p));
  const since = get("since").map((v) => position.get(lookup(ctx.containers, v))!);
  if (since.length) checks.push((c) => since.every((p) => position.get(c.id)! < p));
  if (exitCodes.length) checks.push((c) => c.state.status === "exited" && exitCodes.includes(c.state.exitCode ?? 0));
  const status = get("status");
  if (status.length) checks.push((c) => status.includes(c.state.status));
  const health = get("health");
  if (health.length) checks.push(() => health.includes("none")); // no health checks yet: every container is "none"
  if (isTask[0] === "true") checks.push(() => false);
  const isolation = get("isolation");
  if (isolation.length) checks.push(() => matchesAny(isolation, "default"));
  const volumes = get("volume");
  if (volumes.length) {
    checks.push((c) => ((c.request?.mounts ?? []) as { source?: string; destination?: string }[])
      .some((m) => volumes.includes(m.destination ?? "") || (m.source !== undefined && volumes.includes(m.source))));
  }
  const networks = get("network");
  if (networks.length) checks.push((c) => ctx.networksOf(c).some((n) => networks.some((v) => n.name === v || (n.id !== "" && n.id.startsWith(v)))));
  const ports = portCheck(get("publish").map((v) => parsePortFilter("publish", v)), get("expose").map((v) => parsePortFilter("expose", v)));
  if (ports) checks.push(ports);
  if (filters.has("ancestor")) {
    const images = new Set(get("ancestor").flatMap((a) => ctx.ancestorIds(a)));
    checks.push((c) => images.has(normalizeId(c.imageId)));
  }

  return { impliesAll: status.length > 0, test: (c) => checks.every((check) => check(c)) };
}

interface PortFilter { start: number; end: number; proto: string }

/** `publish=`/`expose=` PORT[-END][/PROTO], tcp when no proto (Docker's portOp; a proto it does not know simply matches nothing). */
function parsePortFilter(key: string, value: string): PortFilter {
  if (value.includes(":")) throw new UsageError(`filter for '${key}' should not contain ':': ${value}`);
  const [port = "", proto] = value.split("/");
  const range = parsePortRange(port);
  if (!range) throw new UsageError(`invalid filter '${key}=${value}': expected PORT[/PROTO] or START-END[/PROTO]`);
  return { start: range[0], end: range[1], proto: proto || "tcp" };
}

const inAny = (filters: PortFilter[], port: number, proto: string) => filters.some((f) => f.proto === proto && port >= f.start && port <= f.end);

/**
 * Docker's daemon/list.go: over the ports the container shows (none once it
 * stops), `publish=` takes the host port, `expose=` the container port, and
 * one port meeting either keeps the container (the two keys are ORed).
 */
function portCheck(publish: PortFilter[], expose: PortFilter[]): Check | undefined {
  if (!publish.length && !expose.length) return undefined;
  return (c) => {
    const shown = [
      ...livePorts(c).map((p) => ({ host: p.hostPort, ctr: p.containerPort, proto: p.proto })),
      ...unpublishedExposed(c).map((e) => ({ host: 0, ctr: e.port, proto: e.proto })),
    ];
    return shown.some((p) => inAny(publish, p.host, p.proto) || inAny(expose, p.ctr, p.proto));
  };
}

export function normalizeId(id: string): string {
  return id.startsWith("sha256:") ? id : `sha256:${id}`;
}

/** `before=`/`since=`: a full id, a unique prefix or a name. */
function lookup(all: ContainerRecord[], ref: string): string {
  const name = ref.replace(/^\//, "");
  const exact = all.find((c) => c.id === ref || c.name === name);
  if (exact) return exact.id;
  const prefixed = /^[0-9a-f]+$/.test(ref) ? all.filter((c) => c.id.startsWith(ref)) : [];
  if (prefixed.length === 1) return prefixed[0]!.id;
  throw new NotFoundError(`No such container: ${ref}`);
}
