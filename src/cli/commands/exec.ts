import type { Command } from "../command.ts";
import { bool, list, parseArgs, str, type OptionSpec } from "../args.ts";
import { openCliStore } from "../open-store.ts";
import { envFrom } from "../run-options.ts";
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


const command: Command = {
  summary: "Execute a command in a running container",
  usage: USAGE,
  failureCode: EXIT_RR_FAILED,
  async run(argv, ctx) {
    // options end at CONTAINER: what follows belongs to the command
    const { options: o, positionals } = parseArgs(argv, OPTIONS, { stopAtPositional: true, command: "exec" });
    const [ref, ...cmd] = positionals;
    if (!ref || !cmd.length) throw new UsageError(`"rr exec" requires at least 2 arguments.`, { hint: "See 'rr exec --help'." });
    // the store checks that this invocation's identity is the one its containers were made with
    const { store, identity } = await openCliStore(ctx);
    return execInContainer(store.root, ref, {
      command: cmd,
      interactive: bool(o, "interactive"),
      tty: bool(o, "tty"),
      detach: bool(o, "detach"),
      env: envFrom(list(o, "env"), list(o, "env-file"), ctx.env),
      user: str(o, "user"),
      workdir: str(o, "workdir"),
      privileged: bool(o, "privileged"),
    }, identity);
  },
};
export default command;
