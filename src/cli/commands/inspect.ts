/**
 * `rr inspect [--type image|container] [-f TEMPLATE] NAME…`: Docker-shaped
 * JSON for images (containers are looked up when no image matches). Objects
 * found are printed even when others are not; the command then fails.
 */
import type { Command } from "../command.ts";
import { parseArgs, str } from "../args.ts";
import { NotFoundError, RrError, UsageError } from "../../errors.ts";
import { familiarize, parseReference } from "../../image/reference.ts";
import { findContainer, type ContainerRecord } from "../../store/container-store.ts";
import type { ImageRecord } from "../../store/image-store.ts";
import type { Store } from "../../store/store.ts";
import { compileTemplate } from "../go-template.ts";
import { openCliStore } from "../open-store.ts";

const command: Command = {
  summary: "Return low-level information on rr objects",
  usage: `Usage:  rr inspect [OPTIONS] NAME|ID [NAME|ID...]

Return low-level information on rr objects

Options:
  -f, --format string   Format output using a Go template ('json' for the JSON array)
      --type string     Only inspect objects of the given type (image or container)`,
  async run(argv, ctx) {
    const { options, positionals } = parseArgs(argv, [
      { name: "format", short: "f", value: true }, { name: "type", value: true }, { name: "size", short: "s" },
    ], { command: "inspect" });
    if (!positionals.length) throw new UsageError(`"rr inspect" requires at least 1 argument`, { hint: "Usage:  rr inspect [OPTIONS] NAME|ID [NAME|ID...]" });
    const type = str(options, "type");
    if (type !== undefined && type !== "image" && type !== "container") {
      throw new UsageError(`"${type}" is not a valid value for --type`, { hint: "Use --type image or --type container." });
    }
    const { store } = await openCliStore(ctx);
    const found: unknown[] = [];
    const missing: string[] = [];
    for (const name of positionals) {
      const obj = lookup(store, name, type);
      if (obj === undefined) missing.push(name);
      else found.push(obj);
    }
    const format = str(options, "format");
    if (format === undefined || format === "json") {
      ctx.out(JSON.stringify(found, null, 4));
    } else {
      const t = compileTemplate(format.replace(/\\t/g, "\t").replace(/\\n/g, "\n"));
      for (const obj of found) ctx.out(t(obj));
    }
    if (missing.length) {
      const what = type === "image" ? "image" : type === "container" ? "container" : "object";
      throw new NotFoundError(`No such ${what}: ${missing.join(", ")}`);
    }
    return 0;
  },
};

function lookup(store: Store, name: string, type: string | undefined): unknown {
  if (type !== "container") {
    const image = store.images.find(name);
    if (image) return imageJson(image);
  }
  if (type !== "image") {
    try {
      return containerJson(findContainer(store.root, name));
    } catch (err) {
      if (!(err instanceof NotFoundError) && !(err instanceof RrError && err.code === "AMBIGUOUS")) throw err;
    }
  }
  return undefined;
}

/** Docker's `docker image inspect` shape, from what the image config holds. */
export function imageJson(image: ImageRecord): Record<string, unknown> {
  const c = image.config.config ?? {};
  const config: Record<string, unknown> = {
    Hostname: "", Domainname: "", User: c.User ?? "",
    AttachStdin: false, AttachStdout: false, AttachStderr: false,
    ...(c.ExposedPorts ? { ExposedPorts: c.ExposedPorts } : {}),
    Tty: false, OpenStdin: false, StdinOnce: false,
    Env: c.Env ?? null, Cmd: c.Cmd ?? null,
    ...(c.Healthcheck ? { Healthcheck: c.Healthcheck } : {}),
    Image: "", Volumes: c.Volumes ?? null, WorkingDir: c.WorkingDir ?? "",
    Entrypoint: c.Entrypoint ?? null, OnBuild: c.OnBuild ?? null, Labels: c.Labels ?? null,
    ...(c.StopSignal ? { StopSignal: c.StopSignal } : {}),
  };
  return {
    Id: image.id,
    RepoTags: image.names.map(familiarize),
    RepoDigests: [],
    Parent: "",
    Comment: image.config.comment ?? image.config.history?.at(-1)?.comment ?? "",
    Created: image.created ?? "0001-01-01T00:00:00Z",
    DockerVersion: image.config.docker_version ?? "",
    Author: image.config.author ?? "",
    Config: config,
    Architecture: image.config.architecture,
    ...(image.config.variant ? { Variant: image.config.variant } : {}),
    Os: image.config.os,
    Size: image.size,
    RootFS: { Type: "layers", Layers: image.layers.map((l) => l.diffId) },
    Metadata: { LastTagTime: "0001-01-01T00:00:00Z" },
  };
}

/** A Docker-shaped summary of a container record (the lead's `container inspect` may replace it). */
function containerJson(c: ContainerRecord): Record<string, unknown> {
  const [path, ...args] = c.command;
  const s = c.state;
  return {
    Id: c.id,
    Created: c.created,
    Path: path ?? "",
    Args: args,
    State: {
      Status: s.status, Running: s.status === "running", Paused: false, Restarting: false, OOMKilled: false, Dead: false,
      Pid: s.status === "running" ? s.pid ?? 0 : 0, ExitCode: s.exitCode ?? 0, Error: s.error ?? "",
      StartedAt: s.startedAt ?? "0001-01-01T00:00:00Z", FinishedAt: s.finishedAt ?? "0001-01-01T00:00:00Z",
    },
    Image: c.imageId,
    Name: `/${c.name}`,
    Config: { Image: imageName(c.image), Cmd: c.command, Labels: c.labels },
  };
}

function imageName(name: string): string {
  try { return parseReference(name).familiar(); } catch { return name; }
}

export default command;
