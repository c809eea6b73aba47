/** `rr logout [SERVER]`: forgets what `rr login` stored for a registry. */
import type { Command } from "../command.ts";
import { parseArgs } from "../args.ts";
import { UsageError } from "../../errors.ts";
import { authKey, removeCredentials } from "../../image/registry/credentials.ts";
import { registryArgument } from "../registry-argument.ts";

const command: Command = {
  summary: "Log out from a registry",
  usage: `Usage:  rr logout [SERVER]

Log out from a registry (docker.io when SERVER is omitted)`,
  async run(argv, ctx) {
    const { positionals } = parseArgs(argv, [], { command: "logout" });
    if (positionals.length > 1) throw new UsageError(`"rr logout" accepts at most 1 argument.`, { hint: "See 'rr logout --help'." });
    const registry = registryArgument(positionals[0]);
    if (removeCredentials(registry, ctx.env)) ctx.out(`Removing login credentials for ${authKey(registry)}`);
    else ctx.out(`Not logged in to ${authKey(registry)}`);
    return 0;
  },
};

export default command;
