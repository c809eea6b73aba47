/**
 * rr's entry point. Global options come first (`rr --root DIR images`),
 * then the command; only that command's module is imported.
 */
import { CliContext, type GlobalOptions } from "./context.ts";
import type { Command } from "./command.ts";
import { SilentExit, UsageError } from "../errors.ts";
import { report } from "./report.ts";
import { COMMANDS, HIDDEN_COMMANDS } from "./commands.ts";

import { VERSION } from "./version.ts";

async function main(argv: string[]): Promise<number> {
  const global: GlobalOptions = {};
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    const take = (name: string) => {
      const eq = a.indexOf("=");
      if (eq >= 0) return a.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`flag needs an argument: ${name}`);
      return v;
    };
    if (a === "--root" || a.startsWith("--root=")) global.root = take("--root");
    else if (a === "--runroot" || a.startsWith("--runroot=")) global.runroot = take("--runroot");
    else if (a === "-v" || a === "--version") { console.log(`rr version ${VERSION}`); return 0; }
    else if (a === "-h" || a === "--help") return printHelp();
    else if (a.startsWith("-")) throw new UsageError(`unknown flag: ${a}`, { hint: "See 'rr --help'." });
    else break;
  }
  const name = argv[i];
  if (name === undefined) return printHelp();
  const load = COMMANDS[name] ?? HIDDEN_COMMANDS[name];
  if (!load) throw new UsageError(`'${name}' is not an rr command`, { hint: "See 'rr --help'." });
  const cmd: Command = (await load()).default;
  const rest = argv.slice(i + 1);
  if (rest[0] === "--help") {
    console.log(cmd.usage);
    return 0;
  }
  const ctx = new CliContext(global);
  try {
    return await cmd.run(rest, ctx);
  } catch (err) {
    if (err instanceof SilentExit) return err.exitCode;
    report(err);
    return (err as { exitCode?: number }).exitCode ?? cmd.failureCode ?? 1;
  }
}

async function printHelp(): Promise<number> {
  const { cac } = await import("cac");
  const cli = cac("rr");
  cli.usage("[--root DIR] [--runroot DIR] COMMAND [OPTIONS] [ARG...]");
  for (const [name, load] of Object.entries(COMMANDS)) {
    cli.command(name, (await load()).default.summary);
  }
  cli.option("--root <dir>", "Store directory (default /var/lib/rr, or ~/.local/share/rr rootless)");
  cli.option("--runroot <dir>", "Run-state directory");
  cli.version(VERSION);
  cli.help();
  cli.outputHelp();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => { report(err); process.exit(1); },
);
