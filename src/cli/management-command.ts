/**
 * Docker's management commands (`rr image ls`, `rr container rm`, …): each
 * subcommand is a top-level command's own module, loaded on demand, with
 * the arguments it implies (`container inspect` is `inspect --type container`).
 */
import type { Command } from "./command.ts";
import { COMMANDS } from "./commands.ts";
import { report } from "./report.ts";
import { SilentExit, UsageError } from "../errors.ts";

type Loader = () => Promise<{ default: Command }>;

export interface Subcommand {
  /** The top-level command it runs. */
  command: string;
  summary: string;
  /** A module of its own instead of the top-level command's. */
  load?: Loader;
  prefix?: string[];
  /** Another spelling of a listed subcommand: accepted, not shown in help. */
  alias?: boolean;
}

/** Names are padded to 11 columns, as Docker's (cobra's) help does. */
export function managementCommand(group: string, summary: string, subcommands: Record<string, Subcommand>): Command {
  const available = () => Object.entries(subcommands).flatMap(([name, s]) => {
    const load = s.load ?? (COMMANDS as Partial<Record<string, Loader>>)[s.command];
    return load ? [{ ...s, name, load }] : [];
  });
  return {
    summary,
    get usage() {
      const shown = available().filter((s) => !s.alias);
      return `Usage:  rr ${group} COMMAND

${summary}

Commands:
${shown.map((s) => `  ${s.name.padEnd(11)} ${s.summary}`).join("\n")}

Run 'rr ${group} COMMAND --help' for more information on a command.`;
    },
    async run(argv, ctx) {
      const [name, ...rest] = argv;
      const found = available().find((s) => s.name === name);
      if (!found) {
        const why = name === undefined ? `"rr ${group}" requires a subcommand` : `'${name}' is not an rr ${group} command`;
        throw new UsageError(why, { hint: `See 'rr ${group} --help'.` });
      }
      const sub = (await found.load()).default;
      if (rest[0] === "--help") {
        const prefix = `Usage:  rr ${group} `;
        ctx.out(sub.usage.startsWith(prefix) ? sub.usage : sub.usage.replace(/^Usage: {2}rr [a-z]+/, `${prefix}${name}`));
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
}
