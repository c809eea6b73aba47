/**
 * ONBUILD triggers of a base image: the instruction texts its config's
 * OnBuild list keeps, parsed again right after the FROM that uses the
 * image, as Docker does ("# Executing 2 build triggers"). Errors name the
 * FROM line, since that is where the triggers run.
 */
import { parseDockerfile } from "../../build/dockerfile/parse.ts";
import type { Dockerfile, FromInstruction, Instruction } from "../../build/dockerfile/instructions.ts";
import { RrError } from "../../errors.ts";

export function parseTrigger(df: Dockerfile, from: FromInstruction, expression: string): Instruction {
  const where = `${df.file}:${from.line}: ONBUILD trigger ${JSON.stringify(expression.split("\n")[0])} of the base image`;
  let inst: Instruction | undefined;
  try {
    // parsed on its own with the default escape, as Docker does: the base's Dockerfile is not at hand
    const parsed = parseDockerfile(`FROM scratch\n${expression}\n`, { file: df.file });
    inst = parsed.stages.length > 1 ? parsed.stages[1]!.from : parsed.stages[0]?.instructions[0];
  } catch (err) {
    throw new RrError(`${where}: ${(err as Error).message.replace(/^[^:]+:\d+: /, "")}`);
  }
  if (!inst) throw new RrError(`${where} is empty`);
  if (inst.kind === "FROM" || inst.kind === "ONBUILD" || inst.kind === "MAINTAINER") {
    throw new RrError(`${where}: ${inst.kind} isn't allowed as an ONBUILD trigger`);
  }
  return { ...inst, line: from.line, endLine: from.line, keyword: `ONBUILD ${inst.keyword.toUpperCase()}` };
}

export function triggersLine(n: number): string {
  return `# Executing ${n} build trigger${n === 1 ? "" : "s"}`;
}
