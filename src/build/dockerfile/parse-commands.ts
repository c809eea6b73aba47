/**
 * The instructions that carry a command or files: RUN, CMD, ENTRYPOINT,
 * SHELL, HEALTHCHECK, COPY and ADD. Each takes the pieces splitCommand()
 * cut and returns the typed fields; the caller adds the place.
 */
import { parseGoDuration } from "./duration.ts";
import { SyntaxProblem } from "./errors.ts";
import { parseFlags } from "./flags.ts";
import { parseHeredocWord, type Heredoc } from "./heredoc.ts";
import type {
  AddInstruction, CmdInstruction, CommandLine, CopyInstruction, EntrypointInstruction,
  HealthcheckInstruction, RunInstruction, ShellInstruction,
} from "./instructions.ts";
import { parseJsonArgs } from "./json-args.ts";
import { splitBlanks, splitFirst } from "./words.ts";

export interface Pieces {
  flags: string[];
  rest: string;
  heredocs: Heredoc[];
}

type Fields<T> = Omit<T, "line" | "endLine" | "keyword" | "original">;

/** JSON array → exec form, anything else → shell form (Docker falls back without a word). */
function commandLine(rest: string): CommandLine {
  const args = parseJsonArgs(rest);
  return args ? { form: "exec", args } : { form: "shell", script: rest };
}

export function parseRun(p: Pieces): Fields<RunInstruction> {
  const flags = parseFlags("RUN", p.flags);
  const command = commandLine(p.rest);
  if (command.form === "shell" ? command.script === "" : command.args.length === 0) {
    throw new SyntaxProblem("RUN requires at least one argument");
  }
  return {
    kind: "RUN",
    command,
    heredocs: command.form === "shell" ? p.heredocs : [],
    mounts: flags.list("mount"),
    network: flags.string("network"),
    security: flags.string("security"),
  };
}

/** CMD and ENTRYPOINT; `CMD []` is allowed (it clears the default), an empty shell form is not. */
export function parseCmdOrEntrypoint<K extends "CMD" | "ENTRYPOINT">(kind: K, p: Pieces): Fields<CmdInstruction | EntrypointInstruction> & { kind: K } {
  parseFlags(kind, p.flags);
  const command = commandLine(p.rest);
  if (command.form === "shell" && command.script === "") throw new SyntaxProblem(`${kind} requires at least one argument`);
  return { kind, command };
}

export function parseShell(p: Pieces): Fields<ShellInstruction> {
  parseFlags("SHELL", p.flags);
  const args = parseJsonArgs(p.rest);
  if (args === undefined && p.rest !== "") {
    throw new SyntaxProblem("SHELL requires the arguments to be in JSON form", { hint: 'Write it as SHELL ["/bin/bash", "-c"].' });
  }
  if (!args || args.length === 0) throw new SyntaxProblem("SHELL requires at least one argument");
  return { kind: "SHELL", shell: args };
}

export function parseHealthcheck(p: Pieces): Fields<HealthcheckInstruction> {
  if (p.rest === "") throw new SyntaxProblem("HEALTHCHECK requires at least one argument");
  const [typeWord, after = ""] = splitFirst(p.rest);
  const type = typeWord.toUpperCase();
  if (type === "NONE") {
    if (after.trim() !== "") throw new SyntaxProblem("HEALTHCHECK NONE takes no arguments");
    return { kind: "HEALTHCHECK", test: ["NONE"] };
  }
  const flags = parseFlags("HEALTHCHECK", p.flags);
  if (type !== "CMD") throw new SyntaxProblem(`Unknown type "${type}" in HEALTHCHECK (try CMD)`);
  const command = commandLine(after);
  if (command.form === "exec" ? command.args.length === 0 : command.script === "") {
    throw new SyntaxProblem("Missing command after HEALTHCHECK CMD");
  }
  const test = command.form === "exec" ? ["CMD", ...command.args] : ["CMD-SHELL", command.script];
  const out: Fields<HealthcheckInstruction> = { kind: "HEALTHCHECK", test };
  const durations = [["interval", "interval"], ["timeout", "timeout"], ["start-period", "startPeriod"], ["start-interval", "startInterval"]] as const;
  for (const [flag, field] of durations) {
    const value = flags.string(flag);
    if (value === undefined || value === "") continue;
    const ns = parseGoDuration(value);
    if (ns < 1e6) throw new SyntaxProblem(`HEALTHCHECK: --${flag}=${value} cannot be less than 1ms`);
    out[field] = ns;
  }
  const retries = flags.string("retries");
  if (retries !== undefined && retries !== "") {
    if (!/^[-+]?\d+$/.test(retries)) throw new SyntaxProblem(`HEALTHCHECK: --retries=${retries} is not a number`);
    const n = Number(retries);
    if (n < 1) throw new SyntaxProblem(`HEALTHCHECK: --retries must be at least 1 (not ${n})`);
    out.retries = n;
  }
  return out;
}

/** COPY and ADD share their syntax: `[flags] src… dest`, JSON form, `<<EOF` sources. */
export function parseCopy(kind: "COPY", p: Pieces): Fields<CopyInstruction>;
export function parseCopy(kind: "ADD", p: Pieces): Fields<AddInstruction>;
export function parseCopy(kind: "COPY" | "ADD", p: Pieces): Fields<CopyInstruction> | Fields<AddInstruction> {
  const flags = parseFlags(kind, p.flags);
  const json = parseJsonArgs(p.rest);
  const args = json ?? splitBlanks(p.rest);
  if (args.length < 2) {
    throw new SyntaxProblem(`${kind} requires at least two arguments, but only one was provided. Destination could not be determined`);
  }
  const dest = args[args.length - 1];
  if (!json && parseHeredocWord(dest)) throw new SyntaxProblem(`${kind} cannot accept a heredoc as a destination`);
  const sources: string[] = [];
  const heredocs: Heredoc[] = [];
  for (const src of args.slice(0, -1)) {
    const marker = json ? undefined : parseHeredocWord(src);
    if (!marker) {
      sources.push(src);
      continue;
    }
    const body = p.heredocs.findLast((h) => h.name === marker.name);
    heredocs.push(body ?? { ...marker, content: "" });
  }
  const common = {
    sources, heredocs, dest, json: json !== undefined,
    chown: flags.string("chown"), chmod: flags.string("chmod"), link: flags.bool("link"), exclude: flags.list("exclude"),
  };
  if (kind === "COPY") return { kind, ...common, from: flags.string("from"), parents: flags.bool("parents") };
  return { kind, ...common, keepGitDir: flags.bool("keep-git-dir"), checksum: flags.string("checksum") };
}
