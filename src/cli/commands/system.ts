/** `rr system df|prune|info`: Docker's system management commands, each loaded on demand. */
import type { Command } from "../command.ts";
import { UsageError } from "../../errors.ts";

type Loader = () => Promise<{ default: Command }>;

const SUBCOMMANDS: Record<string, { summary: string; load: Loader }> = {
  df: { summary: "Show rr disk usage", load: () => import("./system-df.ts") },
  info: { summary: "Display system-wide information", load: () => import("./info.ts") },
  prune: { summary: "Remove unused data", load: () => import("./system-prune.ts") },
};

const command: Command = {
  summary: "Manage rr",
  usage: `Usage:  rr system COMMAND

Manage rr

Commands:
${Object.entries(SUBCOMMANDS).map(([name, s]) => `  ${name.padEnd(9)} ${s.summary}`).join("\n")}

Run 'rr system COMMAND --help' for more information on a command.`,
  async run(argv, ctx) {
    const [name, ...rest] = argv;
    const found = name === undefined ? undefined : SUBCOMMANDS[name];
    if (!found || !Object.hasOwn(SUBCOMMANDS, name!)) {
      const why = name === undefined ? `"rr system" requires a subcommand` : `'${name}' is not an rr system command`;
      throw new UsageError(why, { hint: "See 'rr system --help'." });
    }
    const sub = (await found.load()).default;
    if (rest[0] === "--help") {
      ctx.out(sub.usage.replace(/^Usage: {2}rr info\b/, "Usage:  rr system info"));
      return 0;
    }
    return sub.run(rest, ctx);
  },
};
export default command;
