import { describe, expect, test } from "bun:test";
import { DockerfileError } from "../../src/build/dockerfile/errors.ts";
import { parseDockerfile } from "../../src/build/dockerfile/parse.ts";

function errorOf(text: string): DockerfileError {
  try {
    parseDockerfile(text);
  } catch (err) {
    if (err instanceof DockerfileError) return err;
    throw err;
  }
  throw new Error("parsed without an error");
}

describe("syntax errors name the file, the line and the instruction", () => {
  test.each([
    ["FROM x\nRUN a\n\n\n\n\nFORM y\n", "Dockerfile:7: unknown instruction: FORM (did you mean FROM?)"],
    ["FROM x\nRUNN make\n", "Dockerfile:2: unknown instruction: RUNN (did you mean RUN?)"],
    ["FROM x\nfrobnicate\n", "Dockerfile:2: unknown instruction: frobnicate"],
    ["FROM x\nRUN a \\\n  b\nBAD\n", "Dockerfile:4: unknown instruction: BAD (did you mean CMD?)"],
    ["FROM x\nrunn make\n", "Dockerfile:2: unknown instruction: runn (did you mean run?)"],
    ["FROM x\nexpsoe 80\n", "Dockerfile:2: unknown instruction: expsoe (did you mean expose?)"],
    ["FROM\n", "Dockerfile:1: FROM requires either one or three arguments"],
    ["FROM a b\n", "Dockerfile:1: FROM requires either one or three arguments"],
    ["FROM a AS\n", "Dockerfile:1: FROM requires either one or three arguments"],
    ["FROM a AS 1st\n", 'Dockerfile:1: invalid name for build stage: "1st", name can\'t start with a number or contain symbols'],
    ["FROM a AS b/c\n", 'Dockerfile:1: invalid name for build stage: "b/c", name can\'t start with a number or contain symbols'],
    ["FROM a AS b\nFROM c AS B\n", 'Dockerfile:2: duplicate stage name "b" (first used on line 1)'],
    ["RUN echo\nFROM x\n", "Dockerfile:1: no build stage in current context: RUN comes before the first FROM"],
    ["FROM x\nCOPY onlyone\n", "Dockerfile:2: COPY requires at least two arguments, but only one was provided. Destination could not be determined"],
    ["FROM x\nADD\n", "Dockerfile:2: ADD requires at least two arguments, but only one was provided. Destination could not be determined"],
    ['FROM x\nCOPY ["a"]\n', "Dockerfile:2: COPY requires at least two arguments, but only one was provided. Destination could not be determined"],
    ["FROM x\nCOPY a <<EOF\nEOF\n", "Dockerfile:2: COPY cannot accept a heredoc as a destination"],
    ["FROM x\nRUN\n", "Dockerfile:2: RUN requires at least one argument"],
    ["FROM x\nRUN []\n", "Dockerfile:2: RUN requires at least one argument"],
    ["FROM x\nCMD\n", "Dockerfile:2: CMD requires at least one argument"],
    ['FROM x\nRUN ["a", 1]\n', "Dockerfile:2: when using JSON array syntax, arrays must be comprised of strings only"],
    ["FROM x\nSHELL /bin/bash -c\n", "Dockerfile:2: SHELL requires the arguments to be in JSON form"],
    ["FROM x\nSHELL []\n", "Dockerfile:2: SHELL requires at least one argument"],
    ["FROM x\nSHELL\n", "Dockerfile:2: SHELL requires at least one argument"],
    ["FROM x\nENV\n", "Dockerfile:2: ENV requires at least one argument"],
    ["FROM x\nENV lonely\n", "Dockerfile:2: ENV must have two arguments"],
    ["FROM x\nENV a=1 b\n", 'Dockerfile:2: Syntax error - can\'t find = in "b". Must be of the form: name=value'],
    ["FROM x\nENV =x\n", "Dockerfile:2: ENV names can not be blank"],
    ["FROM x\nLABEL\n", "Dockerfile:2: LABEL requires at least one argument"],
    ["FROM x\nARG\n", "Dockerfile:2: ARG requires at least one argument"],
    ["FROM x\nARG =x\n", "Dockerfile:2: ARG names can not be blank"],
    ["FROM x\nEXPOSE\n", "Dockerfile:2: EXPOSE requires at least one argument"],
    ["FROM x\nVOLUME\n", "Dockerfile:2: VOLUME requires at least one argument"],
    ['FROM x\nVOLUME ["/a", " "]\n', "Dockerfile:2: VOLUME specified can not be an empty string"],
    ["FROM x\nUSER\n", "Dockerfile:2: USER requires exactly one argument"],
    ["FROM x\nWORKDIR\n", "Dockerfile:2: WORKDIR requires exactly one argument"],
    ["FROM x\nMAINTAINER\n", "Dockerfile:2: MAINTAINER requires exactly one argument"],
    ["FROM x\nSTOPSIGNAL\n", "Dockerfile:2: STOPSIGNAL requires exactly one argument"],
    ["FROM x\nONBUILD\n", "Dockerfile:2: ONBUILD requires at least one argument"],
    ["FROM x\nONBUILD ONBUILD RUN a\n", "Dockerfile:2: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"],
    ["FROM x\nONBUILD FROM y\n", "Dockerfile:2: FROM isn't allowed as an ONBUILD trigger"],
    ["FROM x\nONBUILD maintainer me\n", "Dockerfile:2: MAINTAINER isn't allowed as an ONBUILD trigger"],
    ["FROM x\nONBUILD FROB y\n", "Dockerfile:2: unknown instruction: FROB (did you mean FROM?)"],
    ["FROM x\nHEALTHCHECK\n", "Dockerfile:2: HEALTHCHECK requires at least one argument"],
    ["FROM x\nHEALTHCHECK NONE now\n", "Dockerfile:2: HEALTHCHECK NONE takes no arguments"],
    ["FROM x\nHEALTHCHECK PING x\n", 'Dockerfile:2: Unknown type "PING" in HEALTHCHECK (try CMD)'],
    ["FROM x\nHEALTHCHECK CMD\n", "Dockerfile:2: Missing command after HEALTHCHECK CMD"],
    ["FROM x\nHEALTHCHECK --interval=0s CMD true\n", "Dockerfile:2: HEALTHCHECK: --interval=0s cannot be less than 1ms"],
    ["FROM x\nHEALTHCHECK --timeout=soon CMD true\n", 'Dockerfile:2: time: invalid duration "soon"'],
    ["FROM x\nHEALTHCHECK --interval=5 CMD true\n", 'Dockerfile:2: time: invalid duration "5"'],
    ["FROM x\nHEALTHCHECK --retries=0 CMD true\n", "Dockerfile:2: HEALTHCHECK: --retries must be at least 1 (not 0)"],
    ["FROM x\nHEALTHCHECK --retries=x CMD true\n", "Dockerfile:2: HEALTHCHECK: --retries=x is not a number"],
    ["FROM x\nRUN <<EOF\necho\n", 'Dockerfile:2: RUN: unterminated heredoc <<EOF (no line "EOF" before the end of the file)'],
    ["FROM x\nCOPY <<A <<B /d\na\nA\nb\n", 'Dockerfile:2: COPY: unterminated heredoc <<B (no line "B" before the end of the file)'],
  ])("%p", (text, message) => {
    expect(errorOf(text).message).toBe(message);
  });
});

describe("flag errors", () => {
  test.each([
    ["FROM x\nCOPY --form=a b c\n", "Dockerfile:2: COPY: unknown flag: --form (did you mean --from?)"],
    ["FROM x\nCOPY --keep-git-dir a b\n", "Dockerfile:2: COPY: unknown flag: --keep-git-dir"],
    ["FROM x\nADD --from=a b c\n", "Dockerfile:2: ADD: unknown flag: --from"],
    ["FROM x\nRUN --net=none a\n", "Dockerfile:2: RUN: unknown flag: --net"],
    ["FROM x\nENV --x=1 a=b\n", "Dockerfile:2: ENV: unknown flag: --x"],
    ["FROM --platfrom=x y\n", "Dockerfile:1: FROM: unknown flag: --platfrom (did you mean --platform?)"],
    ["FROM x\nCOPY --from=a --from=b c d\n", "Dockerfile:2: COPY: duplicate flag specified: --from"],
    ["FROM x\nCOPY --from a b\n", "Dockerfile:2: COPY: missing a value on flag: --from"],
    ["FROM x\nCOPY --link= a b\n", "Dockerfile:2: COPY: missing a value on flag: --link"],
    ["FROM x\nCOPY --link=yes a b\n", "Dockerfile:2: COPY: expecting boolean value for flag --link, not: yes"],
    ["FROM x\nCMD --help\n", "Dockerfile:2: CMD: unknown flag: --help"],
  ])("%p", (text, message) => {
    expect(errorOf(text).message).toBe(message);
  });

  test("a boolean flag takes true or false in any case", () => {
    const df = parseDockerfile("FROM x\nCOPY --link=TRUE a b\nCOPY --link=False a b\n");
    expect(df.stages[0].instructions.map((i) => (i.kind === "COPY" ? i.link : undefined))).toEqual([true, false]);
  });
});

describe("error details", () => {
  test("the instruction and the lines it spans are on the error", () => {
    const e = errorOf("FROM x\nCOPY \\\n  onlyone\n");
    expect([e.line, e.endLine, e.instruction]).toEqual([2, 3, "COPY"]);
  });

  test("an ONBUILD trigger's error names the trigger", () => {
    expect(errorOf("FROM x\nONBUILD COPY a\n").instruction).toBe("COPY");
  });

  test("hints say what to write instead", () => {
    expect(errorOf("FROM x\nSHELL sh -c\n").hint).toBe('Write it as SHELL ["/bin/bash", "-c"].');
    expect(errorOf("RUN x\n").hint).toBe("A Dockerfile starts with FROM; only ARG may come before it.");
  });
});
