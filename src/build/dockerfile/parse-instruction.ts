import type { EscapeChar } from "./directives.ts";
import { SyntaxProblem, located } from "./errors.ts";
import { parseFlags } from "./flags.ts";
import {
  INSTRUCTION_KINDS, type ArgDefinition, type Instruction, type InstructionFields as Fields, type InstructionKind, type KeyValue,
} from "./instructions.ts";
import { parseJsonArgs } from "./json-args.ts";
import type { LogicalLine } from "./lines.ts";
import { parseCmdOrEntrypoint, parseCopy, parseHealthcheck, parseRun, parseShell, type Pieces } from "./parse-commands.ts";
import { suggest } from "./suggest.ts";
import { parseWords, splitBlanks, splitCommand, splitFirst } from "./words.ts";

const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

/** Parses one logical line into its typed instruction; errors carry the line and the keyword. */
export function parseInstruction(ll: LogicalLine, escape: EscapeChar): Instruction {
  return located({ line: ll.line, endLine: ll.endLine }, () => parseText(ll.text, ll, escape));
}

/** The upper-case keyword of an instruction line, or undefined when it names no instruction. */
export function instructionKind(keyword: string): InstructionKind | undefined {
  const upper = keyword.toUpperCase() as InstructionKind;
  return INSTRUCTION_KINDS.includes(upper) ? upper : undefined;
}

function parseText(text: string, ll: LogicalLine, escape: EscapeChar): Instruction {
  const { keyword, flags, rest } = splitCommand(text);
  const kind = instructionKind(keyword);
  if (!kind) {
    const near = suggest(keyword, INSTRUCTION_KINDS);
    throw new SyntaxProblem(`unknown instruction: ${keyword}${near ? ` (did you mean ${near}?)` : ""}`);
  }
  const base = { line: ll.line, endLine: ll.endLine, keyword, original: text.trim() };
  const pieces: Pieces = { flags, rest, heredocs: ll.heredocs };
  return located({ line: ll.line, endLine: ll.endLine, instruction: kind }, () => ({ ...base, ...fields(kind, pieces, ll, escape) }) as Instruction);
}

function fields(kind: InstructionKind, p: Pieces, ll: LogicalLine, escape: EscapeChar): Fields {
  switch (kind) {
    case "FROM": return parseFrom(p);
    case "RUN": return parseRun(p);
    case "CMD": return parseCmdOrEntrypoint("CMD", p);
    case "ENTRYPOINT": return parseCmdOrEntrypoint("ENTRYPOINT", p);
    case "SHELL": return parseShell(p);
    case "HEALTHCHECK": return parseHealthcheck(p);
    case "COPY": return parseCopy("COPY", p);
    case "ADD": return parseCopy("ADD", p);
    case "ENV": return { kind, env: keyValues(kind, p, escape) };
    case "LABEL": return { kind, labels: keyValues(kind, p, escape) };
    case "ARG": return { kind, args: argDefinitions(p, escape) };
    case "EXPOSE": return { kind, ports: atLeastOne(kind, p, splitBlanks(p.rest)) };
    case "VOLUME": return { kind, volumes: volumes(p) };
    case "MAINTAINER": return { kind, maintainer: exactlyOne(kind, p) };
    case "USER": return { kind, user: exactlyOne(kind, p) };
    case "WORKDIR": return { kind, path: exactlyOne(kind, p) };
    case "STOPSIGNAL": return { kind, signal: exactlyOne(kind, p) };
    case "ONBUILD": return parseOnbuild(p, ll, escape);
  }
}

function parseFrom(p: Pieces): Fields {
  const flags = parseFlags("FROM", p.flags);
  const args = splitBlanks(p.rest);
  let name: string | undefined;
  if (args.length === 3 && args[1].toLowerCase() === "as") {
    name = args[2].toLowerCase();
    if (!STAGE_NAME.test(name)) {
      throw new SyntaxProblem(`invalid name for build stage: "${args[2]}", name can't start with a number or contain symbols`);
    }
  } else if (args.length !== 1) {
    throw new SyntaxProblem("FROM requires either one or three arguments", { hint: "Write FROM IMAGE or FROM IMAGE AS NAME." });
  }
  return { kind: "FROM", image: args[0], name, platform: flags.string("platform") };
}

/** The text is one argument however many spaces it has (`WORKDIR /a b` is the path "/a b"). */
function exactlyOne(kind: InstructionKind, p: Pieces): string {
  parseFlags(kind, p.flags);
  if (p.rest === "") throw new SyntaxProblem(`${kind} requires exactly one argument`);
  return p.rest;
}

function atLeastOne<T>(kind: InstructionKind, p: Pieces, values: T[]): T[] {
  parseFlags(kind, p.flags);
  if (values.length === 0) throw new SyntaxProblem(`${kind} requires at least one argument`);
  return values;
}

function volumes(p: Pieces): string[] {
  const json = parseJsonArgs(p.rest);
  const list = atLeastOne("VOLUME", p, json ?? splitBlanks(p.rest));
  if (list.some((v) => v.trim() === "")) throw new SyntaxProblem("VOLUME specified can not be an empty string");
  return json ? list.map((v) => v.trim()) : list;
}

/** `KEY=value …`, or the legacy `KEY value with spaces` (one pair) when the first word has no `=`. */
function keyValues(kind: "ENV" | "LABEL", p: Pieces, escape: EscapeChar): KeyValue[] {
  const words = atLeastOne(kind, p, parseWords(p.rest, escape));
  if (!words[0].includes("=")) {
    const [key, value] = splitFirst(p.rest);
    if (value === undefined) throw new SyntaxProblem(`${kind} must have two arguments`, { hint: `Write ${kind} NAME=VALUE.` });
    return [{ key, value }];
  }
  return words.map((word) => {
    const eq = word.indexOf("=");
    if (eq < 0) throw new SyntaxProblem(`Syntax error - can't find = in ${JSON.stringify(word)}. Must be of the form: name=value`);
    if (eq === 0) throw new SyntaxProblem(`${kind} names can not be blank`);
    return { key: word.slice(0, eq), value: word.slice(eq + 1) };
  });
}

function argDefinitions(p: Pieces, escape: EscapeChar): ArgDefinition[] {
  return atLeastOne("ARG", p, parseWords(p.rest, escape)).map((word) => {
    const eq = word.indexOf("=");
    if (eq < 0) return { name: word };
    if (eq === 0) throw new SyntaxProblem("ARG names can not be blank");
    return { name: word.slice(0, eq), value: word.slice(eq + 1) };
  });
}

function parseOnbuild(p: Pieces, ll: LogicalLine, escape: EscapeChar): Fields {
  parseFlags("ONBUILD", p.flags);
  if (p.rest === "") throw new SyntaxProblem("ONBUILD requires at least one argument");
  const inner = splitCommand(p.rest).keyword.toUpperCase();
  if (inner === "ONBUILD") throw new SyntaxProblem("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  if (inner === "FROM" || inner === "MAINTAINER") throw new SyntaxProblem(`${inner} isn't allowed as an ONBUILD trigger`);
  const trigger = parseText(p.rest, ll, escape);
  let expression = p.rest;
  for (const doc of ll.heredocs) expression += `\n${doc.content}${doc.name}`;
  return { kind: "ONBUILD", trigger, expression };
}
