/**
 * `rr container SUBCOMMAND`: Docker's management-command spellings of the
 * container commands (`container ls` is `ps`, `container inspect` is
 * `inspect --type container`, …). Each subcommand is the top-level
 * command's own module, loaded on demand; `prune` is its own.
 */
import type { Command } from "../command.ts";
import { COMMANDS } from "../commands.ts";
import { SilentExit, UsageError } from "../../errors.ts";
import { report } from "../report.ts";

type Loader = () => Promise<{ default: Command }>;

interface Sub {
  command: string;
  summary: string;
  load?: Loader;
  prefix?: string[];
  /** Another spelling of a listed subcommand: accepted, not shown in help. */
  alias?: boolean;
}

const SUBCOMMANDS: Record<string, Sub> = {
  attach: { command: "attach", summary: "Attach local standard input, output, and error streams to a running container" },
  commit: { command: "commit", summary: "Create a new image from a container's changes" },
  cp: { command: "cp", summary: "Copy files/folders between a container and the local filesystem" },
  create: { command: "create", summary: "Create a new container" },
  diff: { command: "diff", summary: "Inspect changes to files or directories on a container's filesystem" },
  exec: { command: "exec", summary: "Execute a command in a running container" },
  export: { command: "export", summary: "Export a container's filesystem as a tar archive" },
  inspect: { command: "inspect", summary: "Display detailed information on one or more containers", prefix: ["--type", "container"] },
  kill: { command: "kill", summary: "Kill one or more running containers" },
  logs: { command: "logs", summary: "Fetch the logs of a container" },
  ls: { command: "ps", summary: "List containers" },
  list: { command: "ps", summary: "List containers", alias: true },
  ps: { command: "ps", summary: "List containers", alias: true },
  pause: { command: "pause", summary: "Pause all processes within one or more containers" },
  port: { command: "port", summary: "List port mappings or a specific mapping for the container" },
  prune: { command: "prune", summary: "Remove all stopped containers", load: () => import("./container-prune.ts") },
  rename: { command: "rename", summary: "Rename a container" },
  restart: { command: "restart", summary: "Restart one or more containers" },
  rm: { command: "rm", summary: "Remove one or more containers" },
  remove: { command: "rm", summary: "Remove one or more containers", alias: true },
  run: { command: "run", summary: "Create and run a new container from an image" },
  start: { command: "start", summary: "Start one or more stopped containers" },
  stats: { command: "stats", summary: "Display a live stream of container(s) resource usage statistics" },
  stop: { command: "stop", summary: "Stop one or more running containers" },
  top: { command: "top", summary: "Display the running processes of a container" },
  unpause: { command: "unpause", summary: "Unpause all processes within one or more containers" },
  wait: { command: "wait", summary: "Block until one or more containers stop, then print their exit codes" },
};

/** Subcommands whose command exists in this build. */
function available(): (Sub & { name: string; load: Loader })[] {
  return Object.entries(SUBCOMMANDS).flatMap(([name, s]) => {
    const load = s.load ?? (COMMANDS as Partial<Record<string, Loader>>)[s.command];
    return load ? [{ ...s, name, load }] : [];
  });
}

const command: Command = {
  summary: "Manage containers",
  get usage() {
    return `Usage:  rr container COMMAND

Manage containers

Commands:
${available().filter((s) => !s.alias).map((s) => `  ${s.name.padEnd(11)} ${s.summary}`).join("\n")}

Run 'rr container COMMAND --help' for more information on a command.`;
  },
  async run(argv, ctx) {
    const [name, ...rest] = argv;
    const found = available().find((s) => s.name === name);
    if (!found) {
      const why = name === undefined ? `"rr container" requires a subcommand` : `'${name}' is not an rr container command`;
      throw new UsageError(why, { hint: "See 'rr container --help'." });
    }
    const sub = (await found.load()).default;
    if (rest[0] === "--help") {
      ctx.out(sub.usage.startsWith("Usage:  rr container ") ? sub.usage : sub.usage.replace(/^Usage: {2}rr [a-z]+/, `Usage:  rr container ${name}`));
      return 0;
    }
    try {
      return await sub.run([...(found.prefix ?? []), ...rest], ctx);
    } catch (err) {
      // run, create, start and exec fail with 125 (Docker's), whatever spelling reached them
      if (sub.failureCode === undefined || err instanceof SilentExit) throw err;
      report(err);
      return sub.failureCode;
    }
  },
};

export default command;
