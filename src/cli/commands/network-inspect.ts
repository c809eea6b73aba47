/**
 * `rr network inspect [-f TEMPLATE] NETWORK…`: Docker's JSON. Networks found
 * are printed even when others are not; the command then fails, one line
 * per missing name.
 */
import type { Command } from "../command.ts";
import { parseArgs, str } from "../args.ts";
import { UsageError } from "../../errors.ts";
import { CollectedOutput } from "../collected-output.ts";
import { compileTemplate } from "../go-template.ts";
import { openCliStore } from "../open-store.ts";
import { report } from "../report.ts";
import { networkJson, resolveNetwork } from "./network-view.ts";

const USAGE = "Usage:  rr network inspect [OPTIONS] NETWORK [NETWORK...]";

const command: Command = {
  summary: "Display detailed information on one or more networks",
  usage: `${USAGE}

Display detailed information on one or more networks

Options:
  -f, --format string   Format output using a Go template ('json' for the JSON array)`,
  async run(argv, ctx) {
    const { options, positionals } = parseArgs(argv, [
      { name: "format", short: "f", value: true }, { name: "verbose", short: "v" },
    ], { command: "network inspect" });
    if (!positionals.length) throw new UsageError(`"rr network inspect" requires at least 1 argument.`, { hint: USAGE });
    const format = str(options, "format");
    const template = format === undefined || format === "json" ? undefined : compileTemplate(format.replace(/\\t/g, "\t").replace(/\\n/g, "\n"));
    const { store } = await openCliStore(ctx);
    const found: unknown[] = [];
    const problems: unknown[] = [];
    for (const ref of positionals) {
      try {
        found.push(networkJson(store.root, resolveNetwork(store.root, ref)));
      } catch (err) {
        problems.push(err);
      }
    }
    const out = new CollectedOutput(ctx);
    if (!template) out.out(JSON.stringify(found, null, 4));
    else for (const obj of found) out.out(template(obj));
    out.flush();
    for (const err of problems) report(err);
    return problems.length ? 1 : 0;
  },
};

export default command;
