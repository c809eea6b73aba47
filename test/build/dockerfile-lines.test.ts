import { describe, expect, test } from "bun:test";
import { DockerfileError } from "../../src/build/dockerfile/errors.ts";
import { parseDockerfile } from "../../src/build/dockerfile/parse.ts";

const lines = (...l: string[]) => l.join("\n") + "\n";
/** Every instruction of every stage, as [line, original]. */
const originals = (text: string) =>
  parseDockerfile(text).stages.flatMap((s) => [s.from, ...s.instructions]).map((i) => [i.line, i.original]);

describe("parser directives", () => {
  test.each([
    ["# syntax=docker/dockerfile:1", { escape: "\\", syntax: "docker/dockerfile:1" }],
    ["#syntax = docker/dockerfile:1.4  ", { escape: "\\", syntax: "docker/dockerfile:1.4" }],
    ["# SYNTAX=x", { escape: "\\", syntax: "x" }],
    ["# escape=`", { escape: "`" }],
    ["# Escape = \\", { escape: "\\" }],
    ["  # escape=`", { escape: "`" }],
    ["# check=skip=all", { escape: "\\", check: "skip=all" }],
  ])("%p is read as a directive", (line, expected) => {
    expect(parseDockerfile(lines(line, "FROM x")).directives).toEqual(expected as never);
  });

  test("several directives may follow each other at the top", () => {
    const df = parseDockerfile(lines("# syntax=a", "# escape=`", "FROM x"));
    expect(df.directives).toEqual({ syntax: "a", escape: "`" });
    expect(df.escape).toBe("`");
  });

  test.each([
    ["after a blank line", lines("", "# escape=`", "FROM x")],
    ["after a comment", lines("# hello", "# escape=`", "FROM x")],
    ["after an unknown directive", lines("# unknowndirective=value", "# escape=`", "FROM x")],
    ["after an instruction", lines("FROM x", "# escape=`", "RUN a")],
    ["with a space in the name", lines("# esc ape=`", "FROM x")],
  ])("a directive %s is only a comment", (_, text) => {
    expect(parseDockerfile(text).escape).toBe("\\");
  });

  test("a repeated directive is an error", () => {
    expect(() => parseDockerfile(lines("# escape=\\", "# escape=`", "FROM x"))).toThrow(
      "Dockerfile:2: only one escape parser directive can be used",
    );
  });

  test("an escape other than \\ or ` is an error", () => {
    expect(() => parseDockerfile(lines("# escape=x", "FROM x"))).toThrow(
      "Dockerfile:1: invalid escape token 'x' does not match ` or \\",
    );
  });

  test("the escape directive changes the continuation character", () => {
    const text = lines("# escape=`", "FROM x", "RUN dir c:\\ `", "  && echo done", "WORKDIR c:\\windows");
    expect(originals(text)).toEqual([[2, "FROM x"], [3, "RUN dir c:\\   && echo done"], [5, "WORKDIR c:\\windows"]]);
  });

  test("with the default escape a trailing backslash continues the line", () => {
    expect(originals(lines("FROM x", "RUN dir c:\\", "WORKDIR c:\\windows"))).toEqual([
      [1, "FROM x"],
      [2, "RUN dir c:WORKDIR c:\\windows"],
    ]);
  });
});

describe("comments, blank lines and continuations", () => {
  test("comments and blank lines are skipped and lines keep their numbers", () => {
    expect(originals(lines("# a comment", "", "FROM x", "   # indented comment", "", "RUN a"))).toEqual([[3, "FROM x"], [6, "RUN a"]]);
  });

  test("a # after an instruction is not a comment", () => {
    expect(originals(lines("FROM x", "RUN echo # not a comment"))).toEqual([[1, "FROM x"], [2, "RUN echo # not a comment"]]);
  });

  test("continuations join lines and keep the next lines' indentation", () => {
    const df = parseDockerfile(lines("FROM x", "RUN apt-get update && \\", "    apt-get install -y curl"));
    const run = df.stages[0].instructions[0];
    expect(run.original).toBe("RUN apt-get update &&     apt-get install -y curl");
    expect([run.line, run.endLine]).toEqual([2, 3]);
  });

  test("blanks after the continuation character are allowed", () => {
    expect(originals(lines("FROM x", "RUN a \\  \t", "b"))).toEqual([[1, "FROM x"], [2, "RUN a b"]]);
  });

  test("comment lines inside a continuation are dropped", () => {
    const text = lines("FROM x", "RUN echo a \\", "# a comment", "    # an indented one", "  b");
    expect(originals(text)).toEqual([[1, "FROM x"], [2, "RUN echo a   b"]]);
  });

  test("empty lines inside a continuation are dropped with a warning", () => {
    const df = parseDockerfile(lines("FROM x", "RUN echo a \\", "", "   ", "  b"));
    expect(df.stages[0].instructions[0].original).toBe("RUN echo a   b");
    expect(df.stages[0].instructions[0].endLine).toBe(5);
    expect(df.warnings).toEqual([{ line: 2, message: "Empty continuation line found in: RUN echo a   b" }]);
  });

  test("a doubled escape at the end is a literal backslash, not a continuation", () => {
    expect(originals(lines("FROM x", "RUN echo a\\\\", "RUN b"))).toEqual([[1, "FROM x"], [2, "RUN echo a\\\\"], [3, "RUN b"]]);
  });

  test("a line holding only the escape character continues", () => {
    expect(originals(lines("FROM x", "RUN a \\", "\\", "b"))).toEqual([[1, "FROM x"], [2, "RUN a b"]]);
  });

  test("a continuation on the last line ends the instruction", () => {
    expect(originals("FROM x\nRUN a \\")).toEqual([[1, "FROM x"], [2, "RUN a"]]);
  });

  test("CRLF line endings and a byte-order mark are accepted", () => {
    expect(originals("\uFEFFFROM x\r\nRUN a \\\r\n b\r\n")).toEqual([[1, "FROM x"], [2, "RUN a  b"]]);
  });

  test("the UTF-8 byte-order mark does not hide a directive", () => {
    expect(parseDockerfile("\uFEFF# escape=`\nFROM x\n").escape).toBe("`");
  });

  test("instructions are case-insensitive and keep the keyword as written", () => {
    const df = parseDockerfile(lines("from x AS Build", "run echo", "Copy a b"));
    expect(df.stages[0].name).toBe("build");
    expect(df.stages[0].instructions.map((i) => [i.kind, i.keyword])).toEqual([["RUN", "run"], ["COPY", "Copy"]]);
  });
});

describe("file-level errors", () => {
  test.each([[""], ["\n\n"], ["   \n\t\n"]])("an empty Dockerfile (%p) is refused", (text) => {
    expect(() => parseDockerfile(text)).toThrow("Dockerfile: the Dockerfile (Dockerfile) cannot be empty");
  });

  test("the file name given is the one errors use", () => {
    expect(() => parseDockerfile("", { file: "build/Containerfile" })).toThrow(
      "build/Containerfile: the Dockerfile (build/Containerfile) cannot be empty",
    );
  });

  test("a file of comments has no instructions", () => {
    expect(() => parseDockerfile("# just a comment\n")).toThrow("Dockerfile: file with no instructions");
  });

  test("ARGs alone give no stages to build", () => {
    expect(() => parseDockerfile("ARG A=1\n")).toThrow("Dockerfile: dockerfile contains no stages to build");
  });

  test("errors are DockerfileErrors carrying the place", () => {
    try {
      parseDockerfile(lines("FROM x", "", "FORM y"));
      throw new Error("no error");
    } catch (err) {
      expect(err).toBeInstanceOf(DockerfileError);
      const e = err as DockerfileError;
      expect([e.file, e.line, e.code, e.detail]).toEqual(["Dockerfile", 3, "USAGE", "unknown instruction: FORM (did you mean FROM?)"]);
    }
  });
});
