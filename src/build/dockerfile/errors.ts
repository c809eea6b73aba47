import { UsageError } from "../../errors.ts";

/** Where a Dockerfile problem is: 1-based lines; line 0 means the file as a whole. */
export interface DockerfilePlace {
  file: string;
  line: number;
  endLine?: number;
  /** The keyword in upper case, when the problem belongs to one instruction. */
  instruction?: string;
}

/**
 * A Dockerfile that cannot be used. The message is one line that names the
 * file and line, `Dockerfile:7: unknown instruction: FORM`; the parts stay on
 * the error so the builder can point at them.
 */
export class DockerfileError extends UsageError {
  readonly file: string;
  readonly line: number;
  readonly endLine: number;
  readonly instruction?: string;
  /** The message without the place. */
  readonly detail: string;

  constructor(place: DockerfilePlace, detail: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(place.line > 0 ? `${place.file}:${place.line}: ${detail}` : `${place.file}: ${detail}`, opts);
    this.file = place.file;
    this.line = place.line;
    this.endLine = place.endLine ?? place.line;
    this.instruction = place.instruction;
    this.detail = detail;
  }
}

/**
 * A problem found by a helper that does not know which file it is reading;
 * the parser adds the place when it turns this into a DockerfileError.
 */
export class SyntaxProblem extends Error {
  line?: number;
  endLine?: number;
  instruction?: string;
  hint?: string;

  constructor(message: string, at: { line?: number; endLine?: number; instruction?: string; hint?: string } = {}) {
    super(message);
    this.name = "SyntaxProblem";
    Object.assign(this, at);
  }
}

/** Runs `fn`, giving any SyntaxProblem it throws a place if it has none yet. */
export function located<T>(at: { line: number; endLine?: number; instruction?: string }, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof SyntaxProblem) {
      err.line ??= at.line;
      err.endLine ??= at.endLine ?? at.line;
      err.instruction ??= at.instruction;
    }
    throw err;
  }
}

/** Turns a SyntaxProblem into the user-facing error; anything else passes through. */
export function toDockerfileError(err: unknown, file: string): unknown {
  if (!(err instanceof SyntaxProblem)) return err;
  return new DockerfileError(
    { file, line: err.line ?? 0, endLine: err.endLine, instruction: err.instruction },
    err.message,
    { hint: err.hint },
  );
}
