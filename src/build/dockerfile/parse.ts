import { DockerfileError, SyntaxProblem, toDockerfileError } from "./errors.ts";
import { heredocMarkers, type HeredocMarker } from "./heredoc.ts";
import type { ArgInstruction, Dockerfile, Stage } from "./instructions.ts";
import { parseJsonArgs } from "./json-args.ts";
import { readLogicalLines } from "./lines.ts";
import { parseInstruction } from "./parse-instruction.ts";
import { splitCommand } from "./words.ts";

export interface ParseOptions {
  /** The name errors show: `Dockerfile` unless `-f` named another. */
  file?: string;
}

/**
 * Parses a Dockerfile into stages of typed instructions. Nothing is
 * substituted yet (see expandInstruction). Throws DockerfileError, whose
 * message names the file and line: `Dockerfile:7: unknown instruction: FORM`.
 */
export function parseDockerfile(text: string, opts: ParseOptions = {}): Dockerfile {
  const file = opts.file ?? "Dockerfile";
  if (text.replace(/^\uFEFF/, "").trim() === "") {
    throw new DockerfileError({ file, line: 0 }, `the Dockerfile (${file}) cannot be empty`);
  }
  try {
    return build(text, file);
  } catch (err) {
    throw toDockerfileError(err, file);
  }
}

function build(text: string, file: string): Dockerfile {
  const { lines, directives, warnings } = readLogicalLines(text, heredocsOf);
  if (lines.length === 0) throw new SyntaxProblem("file with no instructions", { line: 0 });
  const metaArgs: ArgInstruction[] = [];
  const stages: Stage[] = [];
  const names = new Map<string, number>();
  for (const ll of lines) {
    const inst = parseInstruction(ll, directives.escape);
    if (inst.kind === "FROM") {
      if (inst.name !== undefined) {
        const earlier = names.get(inst.name);
        if (earlier !== undefined) {
          throw new SyntaxProblem(`duplicate stage name "${inst.name}" (first used on line ${earlier})`, { line: inst.line, instruction: "FROM" });
        }
        names.set(inst.name, inst.line);
      }
      stages.push({ index: stages.length, name: inst.name, from: inst, instructions: [] });
    } else if (stages.length > 0) {
      stages[stages.length - 1].instructions.push(inst);
    } else if (inst.kind === "ARG") {
      metaArgs.push(inst);
    } else {
      throw new SyntaxProblem(`no build stage in current context: ${inst.kind} comes before the first FROM`, {
        line: inst.line,
        instruction: inst.kind,
        hint: "A Dockerfile starts with FROM; only ARG may come before it.",
      });
    }
  }
  if (stages.length === 0) throw new SyntaxProblem("dockerfile contains no stages to build", { line: 0, hint: "Add a FROM line." });
  return { file, directives, escape: directives.escape, metaArgs, stages, warnings };
}

const HEREDOC_KINDS = new Set(["RUN", "COPY", "ADD"]);

/** Only RUN, COPY and ADD (also as ONBUILD triggers) in shell form open heredocs. */
function heredocsOf(text: string): HeredocMarker[] {
  let { keyword, rest } = splitCommand(text);
  if (keyword.toUpperCase() === "ONBUILD") ({ keyword, rest } = splitCommand(rest));
  if (!HEREDOC_KINDS.has(keyword.toUpperCase())) return [];
  if (isJsonForm(rest)) return [];
  return heredocMarkers(text);
}

function isJsonForm(rest: string): boolean {
  try {
    return parseJsonArgs(rest) !== undefined;
  } catch {
    return true; // a JSON array of non-strings: still JSON, and the instruction reports it
  }
}
