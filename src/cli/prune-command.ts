/**
 * The shape every `rr … prune` shares: no arguments, `-f` to skip Docker's
 * "WARNING! This will remove …" question (declining prints an empty line and
 * exits 0), and, where the kind supports them, the prune filters.
 */
import type { Command } from "./command.ts";
import type { CliContext } from "./context.ts";
import { bool, list, parseArgs, type OptionSpec, type ParsedArgs } from "./args.ts";
import { UsageError } from "../errors.ts";
import { confirm } from "./confirm.ts";
import { parseFilters } from "./filter-args.ts";
import { compilePruneFilter, PRUNE_FILTER_KEYS, type PruneMatch } from "./prune-containers.ts";

export interface PruneSpec {
  /** "network prune" */
  command: string;
  summary: string;
  /** The options part of --help. */
  optionsHelp: string;
  /** Options besides -f and --filter. */
  options?: OptionSpec[];
  /** False: --filter is refused (the kind has no filters yet). */
  filters: boolean;
  /** Docker's question: "WARNING! This will remove all stopped containers." */
  question(options: ParsedArgs["options"]): string;
  prune(ctx: CliContext, options: ParsedArgs["options"], match: PruneMatch): Promise<void>;
}

export function pruneCommand(spec: PruneSpec): Command {
  const usage = `Usage:  rr ${spec.command} [OPTIONS]`;
  return {
    summary: spec.summary,
    usage: `${usage}\n\n${spec.summary}\n\nOptions:\n${spec.optionsHelp}`,
    async run(argv, ctx) {
      const { options, positionals } = parseArgs(argv, [
        ...(spec.options ?? []), { name: "force", short: "f" }, { name: "filter", value: true, multiple: true },
      ], { command: spec.command });
      if (positionals.length) throw new UsageError(`"rr ${spec.command}" accepts no arguments.`, { hint: usage });
      if (!spec.filters && options.filter) throw new UsageError(`rr ${spec.command} does not support --filter yet`);
      const match = compilePruneFilter(parseFilters(list(options, "filter"), PRUNE_FILTER_KEYS));
      if (!bool(options, "force") && !(await confirm(spec.question(options)))) {
        ctx.out("");
        return 0;
      }
      await spec.prune(ctx, options, match);
      return 0;
    },
  };
}
