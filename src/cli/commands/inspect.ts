/**
 * `rr inspect [--type image|container|network] [-f TEMPLATE] NAME…`: Docker-shaped
 * JSON. Without --type a name is looked up as a container, then an image, then
 * a network, as Docker does. Objects found are printed even when others are
 * not; the command then fails with one line per missing name.
 */
import type { Command } from "../command.ts";
import { bool, parseArgs, str } from "../args.ts";
import { NotFoundError, UsageError } from "../../errors.ts";
import { familiarize } from "../../image/reference.ts";
import { findContainer } from "../../store/container-store.ts";
import type { ImageRecord } from "../../store/image-store.ts";
import type { Store } from "../../store/store.ts";
import { CollectedOutput } from "../collected-output.ts";
import { containerJson } from "../container-json.ts";
import { networkJson, resolveNetwork } from "./network-view.ts";
import { containerSizeRw } from "../container-size.ts";
import { compileTemplate } from "../go-template.ts";
import { openCliStore } from "../open-store.ts";
import { report } from "../report.ts";

const command: Command = {
  summary: "Return low-level information on rr objects",
  usage: `Usage:  rr inspect [OPTIONS] NAME|ID [NAME|ID...]

Return low-level information on rr objects

Options:
  -f, --format string   Format output using a Go template ('json' for the JSON array)
  -s, --size            Display total file sizes if the type is container
      --type string     Only inspect objects of the given type (image, container or network)`,
  async run(argv, ctx) {
    const { options, positionals } = parseArgs(argv, [
      { name: "format", short: "f", value: true }, { name: "type", value: true }, { name: "size", short: "s" },
    ], { command: "inspect" });
    if (!positionals.length) throw new UsageError(`"rr inspect" requires at least 1 argument`, { hint: "Usage:  rr inspect [OPTIONS] NAME|ID [NAME|ID...]" });
    const type = str(options, "type");
    if (type !== undefined && type !== "image" && type !== "container" && type !== "network") {
      throw new UsageError(`"${type}" is not a valid value for --type`, { hint: "Use --type image, container or network." });
    }
    const { store } = await openCliStore(ctx);
    const found: unknown[] = [];
    const problems: unknown[] = [];
    for (const name of positionals) {
      try {
        const obj = lookup(store, name, type, bool(options, "size"));
        if (obj === undefined) problems.push(new NotFoundError(`No such ${type ?? "object"}: ${name}`));
        else found.push(obj);
      } catch (err) {
        problems.push(err); // an ambiguous id prefix, a damaged record: this name fails, the others print
      }
    }
    const format = str(options, "format");
    const out = new CollectedOutput(ctx);
    if (format === undefined || format === "json") {
      out.out(JSON.stringify(found, null, 4));
    } else {
      const t = compileTemplate(format.replace(/\\t/g, "\t").replace(/\\n/g, "\n"));
      for (const obj of found) out.out(t(obj));
    }
    out.flush();
    for (const err of problems) report(err);
    return problems.length ? 1 : 0;
  },
};

function lookup(store: Store, name: string, type: string | undefined, size: boolean): unknown {
  if (type !== "image" && type !== "network") {
    try {
      const c = findContainer(store.root, name);
      if (!size) return containerJson(store.root, c);
      const rw = containerSizeRw(store.root, c);
      return containerJson(store.root, c, { rw, rootFs: rw + (store.images.find(c.imageId)?.size ?? 0) });
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }
  if (type !== "container" && type !== "network") {
    const image = store.images.find(name);
    if (image) return imageJson(image);
  }
  if (type === undefined || type === "network") {
    try {
      return networkJson(store.root, resolveNetwork(store.root, name));
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
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

export default command;
