/**
 * `rr cp [-a] [-L] CONTAINER:SRC DEST|-` and `rr cp [-a] [-L] SRC|- CONTAINER:DEST`
 * (also `rr container cp`), with `docker cp`'s rules for files, directories
 * and `SRC/.`; `-` is a tar stream on stdin or stdout. Running and stopped
 * containers alike. Paths in the container resolve inside its root, so its
 * symlinks can never lead rr to a host file; files copied in belong to the
 * container's root unless -a keeps the archive's ids.
 */
import { isatty } from "node:tty";
import type { Command } from "../command.ts";
import { bool, parseArgs } from "../args.ts";
import { RrError, UsageError } from "../../errors.ts";
import { humanSize } from "../format.ts";
import { openCliStore } from "../open-store.ts";
import { findContainer, readContainer, withContainerLock } from "../../store/container-store.ts";
import type { Identity } from "../../runtime/identity.ts";
import { viewSpecFor } from "../../runtime/container-fs/view-spec.ts";
import { withContainerFs } from "../../runtime/container-fs/runner.ts";
import { fromWire, type FrameChannel, type WireError } from "../../runtime/container-fs/frame-channel.ts";
import type { CopySource } from "../../runtime/container-fs/cp-plan.ts";
import { extractToHost, hostSource, writeHostSource } from "../../runtime/container-fs/host-copy.ts";
import { blockingWriter } from "../../runtime/container-fs/output-file.ts";

const USAGE = `Usage:  rr cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-
        rr cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH`;

interface Endpoint {
  container?: string;
  path: string;
}

/** Docker's splitCpArg: `/abs` and `./x:y` are local; otherwise `NAME:PATH` names a container. */
export function splitCpArg(arg: string): Endpoint {
  if (arg.startsWith("/")) return { path: arg };
  const colon = arg.indexOf(":");
  if (colon < 0 || arg.startsWith(".")) return { path: arg };
  const container = arg.slice(0, colon);
  const path = arg.slice(colon + 1);
  if (!container) throw new UsageError(`invalid container path "${arg}": the container name before ":" is empty`, { hint: "Write CONTAINER:PATH, or ./PATH for a local file with a colon in its name." });
  if (!path) throw new UsageError(`invalid container path "${arg}": the path after ":" is empty`, { hint: `Write ${container}:/ for the container's root.` });
  return { container, path: path.startsWith("/") ? path : `/${path}` };
}

const command: Command = {
  summary: "Copy files/folders between a container and the local filesystem",
  usage: `${USAGE}

Copy files/folders between a container and the local filesystem

Use '-' as the source to read a tar archive from stdin
and extract it to a directory destination in a container.
Use '-' as the destination to stream a tar archive of a
container source to stdout.

Options:
  -a, --archive       Archive mode (copy all uid/gid information)
  -L, --follow-link   Always follow symbol link in SRC_PATH
  -q, --quiet         Suppress progress output during copy. Progress
                      output is automatically suppressed if no
                      terminal is attached`,
  async run(argv, ctx) {
    const { options, positionals } = parseArgs(argv, [
      { name: "archive", short: "a" }, { name: "follow-link", short: "L" }, { name: "quiet", short: "q" },
    ], { command: "cp" });
    if (positionals.length !== 2) throw new UsageError(`"rr cp" requires exactly 2 arguments`, { hint: USAGE });
    const src = positionals[0] === "-" ? { path: "-" } : splitCpArg(positionals[0]!);
    const dest = positionals[1] === "-" ? { path: "-" } : splitCpArg(positionals[1]!);
    if (src.container !== undefined && dest.container !== undefined) throw new UsageError("copying between containers is not supported");
    if (src.container === undefined && dest.container === undefined) {
      throw new UsageError("must specify at least one container source", { hint: USAGE });
    }
    const opts = { archive: bool(options, "archive"), follow: bool(options, "follow-link") };
    const { store, identity } = await openCliStore(ctx);
    const rec = findContainer(store.root, (src.container ?? dest.container)!);
    let bytes = 0;
    const counted = (chunk: Uint8Array) => { bytes += chunk.length; return chunk; };
    if (src.container !== undefined) {
      const spec = viewSpecFor(store.root, rec, { live: true });
      await copyOut(identity, { spec, op: { op: "archive", path: src.path, follow: opts.follow } }, dest.path, counted);
    } else {
      if ((rec.request as { readOnly?: boolean } | undefined)?.readOnly) {
        throw new RrError(`container rootfs is marked read-only`, { hint: `${rec.name} was created with --read-only; copy into one of its volumes instead.` });
      }
      // A stopped container's own layer is written directly: hold its lock so it cannot start meanwhile.
      await withContainerLock(store.root, rec.id, async () => {
        const spec = viewSpecFor(store.root, readContainer(store.root, rec.id), { live: true });
        const op = { op: "extract" as const, path: dest.path, source: undefined, owner: opts.archive ? "keep" as const : "root" as const };
        await copyIn(identity, { spec, op }, src.path, opts.follow, counted);
      });
    }
    if (!bool(options, "quiet") && dest.path !== "-" && isatty(2)) {
      process.stderr.write(`Successfully copied ${humanSize(bytes)} to ${positionals[1]}\n`); // as Docker, on a terminal only
    }
    return 0;
  },
};

type Request = Parameters<typeof withContainerFs>[1];

async function copyOut(identity: Identity, req: Request, dest: string, counted: (c: Uint8Array) => Uint8Array): Promise<void> {
  await withContainerFs(identity, req, async (ch) => {
    const { source } = await ch.json<{ source: CopySource }>();
    if (dest === "-") {
      const write = blockingWriter(1);
      for await (const chunk of ch.data()) write(counted(chunk));
    } else {
      const stream = ch.dataStream();
      await extractToHost(dest, source, counting(stream.source, counted));
      await stream.drain();
    }
    await ch.json();
  });
}

async function copyIn(
  identity: Identity, req: Request & { op: { op: "extract" } }, src: string, follow: boolean, counted: (c: Uint8Array) => Uint8Array,
): Promise<void> {
  const host = src === "-" ? undefined : hostSource(src, follow);
  if (host) req.op.source = { isDir: host.isDir, top: host.top };
  await withContainerFs(identity, req, async (ch) => {
    await ch.json<{ ready: true }>();
    try {
      if (host) {
        await writeHostSource(host, (bytes) => ch.sendData(counted(bytes)));
      } else {
        for await (const chunk of Bun.stdin.stream() as unknown as AsyncIterable<Uint8Array>) await ch.sendData(counted(chunk));
      }
      await ch.sendEnd();
    } catch (err) {
      // The other side stopped reading because it failed: what it said is the error to show.
      if (err instanceof RrError && err.code === "EPIPE") throw (await replyError(ch)) ?? err;
      throw err;
    }
    await ch.json();
  });
}

/** The error message the other side sent before it closed the channel, if any. */
async function replyError(ch: FrameChannel): Promise<Error | undefined> {
  const f = await ch.next().catch(() => undefined);
  const error = f?.type === "json" ? (f.value as { error?: WireError }).error : undefined;
  return error ? fromWire(error) : undefined;
}

async function* counting(source: AsyncIterable<Uint8Array>, counted: (c: Uint8Array) => Uint8Array): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) yield counted(chunk);
}

export default command;
