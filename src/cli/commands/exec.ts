import { readFileSync } from "node:fs";
import type { Command } from "../command.ts";
import { bool, list, parseArgs, str, type OptionSpec } from "../args.ts";
import { detectIdentity } from "../../runtime/identity.ts";
import { execInContainer } from "../../runtime/exec-container.ts";
import { EXIT_RR_FAILED, UsageError } from "../../errors.ts";

const OPTIONS: OptionSpec[] = [
  { name: "detach", short: "d" }, { name: "interactive", short: "i" }, { name: "tty", short: "t" },
  { name: "env", short: "e", value: true, multiple: true }, { name: "env-file", value: true, multiple: true },
  { name: "user", short: "u", value: true }, { name: "workdir", short: "w", value: true }, { name: "privileged" },
];

const USAGE = `Usage:  rr exec [OPTIONS] CONTAINER COMMAND [ARG...]

Execute a command in a running container

Options:
  -d, --detach               Detached mode: run command in the background
  -e, --env list             Set environment variables
      --env-file list        Read in a file of environment variables
  -i, --interactive          Keep STDIN open even if not attached
      --privileged           Give extended privileges to the command
  -t, --tty                  Allocate a pseudo-TTY
  -u, --user string          Username or UID (format: "<name|uid>[:<group|gid>]")
  -w, --workdir string       Working directory inside the container`;

/** `-e K=V`, `-e K` (the host's value, if set) and env files, as `rr run` reads them. */
function envList(specs: string[], files: string[], env: Record<string, string | undefined>): string[] {
  const out: string[] = [];
  const add = (e: string) => {
    if (e.includes("=")) out.push(e);
    else if (env[e] !== undefined) out.push(`${e}=${env[e]}`);
  };
  for (const f of files) {
    let text: string;
    try { text = readFileSync(f, "utf8"); } catch { throw new UsageError(`cannot read env file "${f}": no such file or directory`); }
    for (const line of text.split("\n")) {
      const t = line.trim();
      if (t && !t.startsWith("#")) add(t);
    }
  }
  specs.forEach(add);
  return out;
}

const command: Command = {
  summary: "Execute a command in a running container",
  usage: USAGE,
  failureCode: EXIT_RR_FAILED,
  async run(argv, ctx) {
    // options end at CONTAINER: what follows belongs to the command
    const { options: o, positionals } = parseArgs(argv, OPTIONS, { stopAtPositional: true, command: "exec" });
    const [ref, ...cmd] = positionals;
    if (!ref || !cmd.length) throw new UsageError(`"rr exec" requires at least 2 arguments.`, { hint: "See 'rr exec --help'." });
    return execInContainer(ctx.storePaths().root, ref, {
      command: cmd,
      interactive: bool(o, "interactive"),
      tty: bool(o, "tty"),
      detach: bool(o, "detach"),
      env: envList(list(o, "env"), list(o, "env-file"), ctx.env),
      user: str(o, "user"),
      workdir: str(o, "workdir"),
      privileged: bool(o, "privileged"),
    }, detectIdentity(ctx.env));
  },
};
export default command;
