/**
 * The contract every `src/cli/commands/<name>.ts` fulfils: main.ts imports
 * only the module of the command being run, so each command pays for
 * nothing but itself.
 */
import type { CliContext } from "./context.ts";

export interface Command {
  /** One line for `rr --help`. */
  summary: string;
  /** `rr NAME --help` text: usage line and options. */
  usage: string;
  /** Runs with argv after the command name; resolves to the exit code. */
  run(argv: string[], ctx: CliContext): Promise<number>;
  /** Exit code for rr's own failures: 125 for run/create/start/exec, else 1. */
  failureCode?: number;
}
