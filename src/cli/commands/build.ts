import type { Command } from "../command.ts";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { bool, list, parseArgs, str } from "../args.ts";
import { openCliStore } from "../open-store.ts";
import { unpackedImage } from "../image-for-run.ts";
import { Builder } from "../build/builder.ts";
import { parseDockerfile } from "../../build/dockerfile/parse.ts";
import { DockerIgnore } from "../../build/dockerignore.ts";
import { canonicalName } from "../../store/image-store.ts";
import { parseReference } from "../../image/reference.ts";
import { RrError, UsageError } from "../../errors.ts";
import { resolveInContext } from "../build/context-files.ts";
import { BuildInterrupt } from "../build/interrupt.ts";
import { contextFromStdin, noDockerfileInContext, type StdinContext } from "../build/stdin-context.ts";

function keyValues(items: string[], flag: string, env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf("=");
    if (eq === 0) throw new UsageError(`invalid ${flag} "${item}": use KEY=VALUE`);
    if (eq > 0) out[item.slice(0, eq)] = item.slice(eq + 1);
    else if (flag === "--build-arg" && env[item] !== undefined) out[item] = env[item]!; // `--build-arg KEY` takes the host's value
    else if (flag === "--label") out[item] = "";
  }
  return out;
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    throw new RrError(`cannot read ${what} "${path}": no such file or directory`, { hint: "Check the path (-f FILE, or the context's Dockerfile)." });
  }
}

async function readStdin(): Promise<Uint8Array> {
  return new Uint8Array(await Bun.stdin.arrayBuffer());
}

const command: Command = {
  summary: "Build an image from a Dockerfile",
  usage: `Usage:  rr build [OPTIONS] PATH | -

Build an image from a Dockerfile

Options:
      --build-arg list      Set build-time variables
  -f, --file string         Name of the Dockerfile (default: "PATH/Dockerfile"; "-" reads it from stdin)
      --iidfile string      Write the image ID to the file
      --label list          Set metadata for an image
      --network string      Set the networking mode for the RUN instructions during build (host, none) (default "host")
      --no-cache            Do not use cache when building the image
      --pull                Always attempt to pull a newer version of the image
  -q, --quiet               Suppress the build output and print image ID on success
  -t, --tag list            Name and optionally a tag in the "name:tag" format
      --target string       Set the target build stage to build`,
  async run(argv, ctx) {
    const { options: o, positionals } = parseArgs(argv, [
      { name: "file", short: "f", value: true }, { name: "tag", short: "t", value: true, multiple: true },
      { name: "build-arg", value: true, multiple: true }, { name: "target", value: true }, { name: "no-cache" },
      { name: "pull" }, { name: "label", value: true, multiple: true }, { name: "iidfile", value: true },
      { name: "quiet", short: "q" }, { name: "network", value: true },
    ], { command: "build" });
    if (positionals.length !== 1) throw new UsageError(`"rr build" requires exactly 1 argument.`, { hint: "See 'rr build --help'." });
    const network = str(o, "network") ?? "host";
    if (network !== "host" && network !== "none" && network !== "default") {
      throw new UsageError(`network mode "${network}" is not supported by rr build`, { hint: "Use --network host or --network none." });
    }
    const tags = list(o, "tag").map((t) => {
      try { return canonicalName(t); } catch (err) { throw new UsageError(`invalid tag "${t}": ${(err as Error).message}`); }
    });
    const quiet = bool(o, "quiet");
    const fileOpt = str(o, "file");
    if (positionals[0] === "-" && fileOpt === "-") throw new UsageError("invalid argument: can't use stdin for both build context and dockerfile");
    const { store, identity } = await openCliStore(ctx);
    let stdinContext: StdinContext | undefined;
    let contextDir: string;
    let dockerfileText: string;
    let dockerfileName: string;
    if (positionals[0] === "-") {
      // `rr build - < Dockerfile` or `rr build - < context.tar[.gz]`: the content decides
      stdinContext = await contextFromStdin(await readStdin(), store.layout.tmp);
      contextDir = stdinContext.dir;
      dockerfileName = fileOpt ?? "Dockerfile";
      if (stdinContext.dockerfile !== undefined) dockerfileText = stdinContext.dockerfile;
      else {
        try {
          // a symlink in the archive leads inside the context, never to a host file
          dockerfileText = readFileSync(join(contextDir, resolveInContext(contextDir, dockerfileName) ?? "\0"), "utf8");
        } catch {
          stdinContext.remove();
          throw noDockerfileInContext(dockerfileName);
        }
      }
      dockerfileName = basename(dockerfileName);
    } else {
      contextDir = resolve(positionals[0]!);
      let isDir = false;
      try { isDir = statSync(contextDir).isDirectory(); } catch {}
      if (!isDir) throw new UsageError(`unable to prepare context: path "${positionals[0]}" not found`, { hint: "Give a directory as the build context, or - for a tar or a Dockerfile on stdin." });
      if (fileOpt === "-") {
        dockerfileText = Buffer.from(await readStdin()).toString("utf8");
        dockerfileName = "Dockerfile";
      } else {
        const file = fileOpt ? resolve(fileOpt) : join(contextDir, "Dockerfile");
        dockerfileText = readText(file, "Dockerfile");
        dockerfileName = basename(file);
      }
    }
    let image;
    const interrupt = new BuildInterrupt();
    const stopListening = interrupt.listen();
    try {
      const dockerfile = parseDockerfile(dockerfileText, { file: dockerfileName });
      let ignoreText = "";
      const ignoreFile = resolveInContext(contextDir, ".dockerignore");
      try { if (ignoreFile) ignoreText = readFileSync(join(contextDir, ignoreFile), "utf8"); } catch {}
      const builder = new Builder(ctx, store, identity, {
        dockerfile,
        context: { dir: contextDir, ignore: DockerIgnore.parse(ignoreText) },
        buildArgs: keyValues(list(o, "build-arg"), "--build-arg", ctx.env),
        target: str(o, "target"),
        noCache: bool(o, "no-cache"),
        pull: bool(o, "pull"),
        labels: keyValues(list(o, "label"), "--label", ctx.env),
        quiet,
        network: network === "none" ? "none" : "host",
        baseImage: (ref, pull) => unpackedImage(ctx, store, identity, ref, pull ? "always" : "missing"),
        say: (line) => ctx.out(line),
        interrupt,
      });
      image = await builder.build();
    } finally {
      stopListening();
      stdinContext?.remove();
    }
    for (const t of tags) store.images.tag(image, t);
    const iidfile = str(o, "iidfile");
    if (iidfile) writeFileSync(iidfile, image.id);
    if (quiet) {
      ctx.out(image.id);
      return 0;
    }
    ctx.out(`Successfully built ${image.id.replace(/^sha256:/, "").slice(0, 12)}`);
    for (const t of tags) ctx.out(`Successfully tagged ${parseReference(t).familiar()}`);
    return 0;
  },
};
export default command;
