import { describe, expect, test } from "bun:test";
import { NotFoundError, UsageError } from "../../src/errors.ts";
import { formatGoDuration, parseGoDuration } from "../../src/build/dockerfile/duration.ts";
import { expandInstruction } from "../../src/build/dockerfile/expand-instruction.ts";
import { parseDockerfile } from "../../src/build/dockerfile/parse.ts";
import { exposedPorts } from "../../src/build/dockerfile/ports.ts";
import { renderInstruction } from "../../src/build/dockerfile/render.ts";
import { findStage, globalArgs, resolveStageRef, targetStage } from "../../src/build/dockerfile/stages.ts";

const multi = parseDockerfile(`ARG GO=1.22
FROM golang:\${GO} AS Build
RUN make
FROM build AS test
RUN make test
FROM scratch
COPY --from=build /out /out
FROM alpine
`);

describe("stages", () => {
  test("findStage() finds a stage by name in any case, or by index", () => {
    expect(findStage(multi, "build")?.index).toBe(0);
    expect(findStage(multi, "BUILD")?.index).toBe(0);
    expect(findStage(multi, "2")?.from.image).toBe("scratch");
    expect(findStage(multi, "nope")).toBeUndefined();
    expect(findStage(multi, "7")).toBeUndefined();
  });

  test("findStage() with a limit sees only earlier stages", () => {
    expect(findStage(multi, "test", 1)).toBeUndefined();
    expect(findStage(multi, "test", 2)?.index).toBe(1);
    expect(findStage(multi, "1", 1)).toBeUndefined();
  });

  test("targetStage() is the last stage without a target", () => {
    expect(targetStage(multi).index).toBe(3);
    expect(targetStage(multi, "").index).toBe(3);
  });

  test("targetStage() finds a named stage", () => {
    expect(targetStage(multi, "Test").index).toBe(1);
  });

  test("targetStage() refuses an unknown target and lists the names", () => {
    expect(() => targetStage(multi, "prod")).toThrow(new NotFoundError('target stage "prod" could not be found'));
    try {
      targetStage(multi, "prod");
    } catch (err) {
      expect((err as NotFoundError).hint).toBe("Stages in Dockerfile: build, test.");
    }
  });

  test("resolveStageRef() tells earlier stages, scratch and images apart", () => {
    expect(resolveStageRef(multi, 1, "build")).toEqual({ kind: "stage", stage: multi.stages[0] });
    expect(resolveStageRef(multi, 3, "0")).toEqual({ kind: "stage", stage: multi.stages[0] });
    expect(resolveStageRef(multi, 3, "scratch")).toEqual({ kind: "scratch" });
    expect(resolveStageRef(multi, 3, "SCRATCH")).toEqual({ kind: "scratch" });
    expect(resolveStageRef(multi, 0, "test")).toEqual({ kind: "image", ref: "test" });
    expect(resolveStageRef(multi, 3, "nginx:1.25")).toEqual({ kind: "image", ref: "nginx:1.25" });
  });

  test("resolveStageRef() refuses an index that is not an earlier stage", () => {
    expect(() => resolveStageRef(multi, 1, "1")).toThrow(UsageError);
    expect(() => resolveStageRef(multi, 1, "5")).toThrow("Dockerfile: invalid from flag value 5: refers to current or later build stage");
    expect(() => resolveStageRef(multi, 2, "2", 7)).toThrow("Dockerfile:7: invalid from flag value 2: refers to current or later build stage");
  });
});

describe("globalArgs()", () => {
  const df = parseDockerfile(`ARG A=1
ARG B=\${A}-b C
ARG D
ARG E="\${TARGETOS:-none}"
FROM x
`);

  test("defaults apply, may use earlier args, and an ARG with no value stays unset", () => {
    expect(globalArgs(df, {})).toEqual(new Map([["A", "1"], ["B", "1-b"], ["E", "none"]]));
  });

  test("build args win over defaults and feed later defaults", () => {
    expect(globalArgs(df, { A: "9", C: "c", Z: "not declared" })).toEqual(
      new Map([["A", "9"], ["B", "9-b"], ["C", "c"], ["E", "none"]]),
    );
  });

  test("predefined args are visible to defaults but not listed unless declared", () => {
    expect(globalArgs(df, new Map(), { TARGETOS: "linux" }).get("E")).toBe("linux");
    expect(globalArgs(df, new Map(), { TARGETOS: "linux" }).has("TARGETOS")).toBe(false);
  });

  test("a bad default names its line", () => {
    expect(() => globalArgs(parseDockerfile("ARG A=1\nARG B=${A\nFROM x\n"), {})).toThrow(
      "Dockerfile:2: failed to process \"${A\": syntax error: missing '}'",
    );
  });

  test("a FROM line expands with them", () => {
    const from = expandInstruction(multi, multi.stages[0].from, globalArgs(multi, {}));
    expect(from.image).toBe("golang:1.22");
  });
});

describe("exposedPorts()", () => {
  test.each([
    [["80"], ["80/tcp"]],
    [["80/tcp", "80/udp", "53/UDP"], ["80/tcp", "80/udp", "53/udp"]],
    [["8000-8002"], ["8000/tcp", "8001/tcp", "8002/tcp"]],
    [["7000-7001/sctp"], ["7000/sctp", "7001/sctp"]],
    [["80", "80/tcp"], ["80/tcp"]],
  ])("%j → %j", (words, expected) => {
    expect(exposedPorts(words)).toEqual(expected);
  });

  test.each([
    [["http"], "invalid containerPort: http"],
    [["80/icmp"], "invalid proto: icmp"],
    [["70000"], "invalid containerPort: 70000"],
    [["90-80"], "invalid containerPort: 90-80"],
    [[""], "invalid containerPort: "],
  ])("%j is refused", (words, message) => {
    expect(() => exposedPorts(words)).toThrow(message);
  });
});

describe("Go durations", () => {
  test.each([
    ["30s", 30e9], ["1m30s", 90e9], ["1.5h", 5400e9], ["500ms", 5e8], ["10us", 1e4], ["10µs", 1e4], ["3ns", 3], ["0", 0], [".5s", 5e8], ["1h2m3.5s", 3723.5e9],
  ])("%p is %d ns", (text, ns) => {
    expect(parseGoDuration(text)).toBe(ns);
  });

  test.each(["", "5", "s", "1x", "1.s.", "--1s"])("%p is refused", (text) => {
    expect(() => parseGoDuration(text)).toThrow();
  });

  test.each([[30e9, "30s"], [90e9, "1m30s"], [3723.5e9, "1h2m3.5s"], [5e8, "500ms"], [1500, "1.5µs"], [0, "0s"], [3600e9, "1h0m0s"]])(
    "%d ns prints as %p",
    (ns, text) => {
      expect(formatGoDuration(ns)).toBe(text);
    },
  );
});

describe("renderInstruction()", () => {
  const render = (line: string, env: Record<string, string> = {}) => {
    const df = parseDockerfile(`FROM x\n${line}\n`);
    return renderInstruction(expandInstruction(df, df.stages[0].instructions[0], env));
  };

  test.each([
    ["run   echo  hi", "RUN echo  hi"],
    ['RUN ["echo", "a b"]', 'RUN ["echo","a b"]'],
    ["RUN --network=none --mount=type=cache,target=/c make", "RUN --mount=type=cache,target=/c --network=none make"],
    ["ENV A=1 B='two words'", 'ENV A=1 B="two words"'],
    ["ENV legacy form", "ENV legacy=form"],
    ["LABEL a=$V", "LABEL a=1.0"],
    ["COPY --chown=$U a $V /d", "COPY --chown=me a 1.0 /d"],
    ['COPY ["a b", "/d"]', 'COPY ["a b","/d"]'],
    ["COPY --link --from=b a /d", "COPY --from=b --link a /d"],
    ["ADD --keep-git-dir https://x/y.git /src", "ADD --keep-git-dir https://x/y.git /src"],
    ["EXPOSE $P 53/udp", "EXPOSE 80 53/udp"],
    ["VOLUME /a /b", 'VOLUME ["/a","/b"]'],
    ["ARG A B=2", "ARG A B=2"],
    ["WORKDIR /$V", "WORKDIR /1.0"],
    ["HEALTHCHECK --retries=3 --interval=90s CMD curl x", "HEALTHCHECK --interval=1m30s --retries=3 CMD curl x"],
    ['HEALTHCHECK CMD ["curl", "x"]', 'HEALTHCHECK CMD ["curl","x"]'],
    ["HEALTHCHECK NONE", "HEALTHCHECK NONE"],
    ["ONBUILD RUN  make", "ONBUILD RUN make"],
    ["USER $U", "USER me"],
  ])("%p → %p", (line, text) => {
    expect(render(line, { V: "1.0", U: "me", P: "80" })).toBe(text);
  });

  test("heredoc bodies are part of the text, after substitution", () => {
    expect(render("COPY <<EOF <<-'RAW' /d/\n$V\nEOF\n\t$V\nRAW", { V: "1" })).toBe('COPY <<EOF <<-"RAW" /d/\n1\nEOF\n$V\nRAW');
    expect(render("RUN <<EOF\necho $V\nEOF", { V: "1" })).toBe("RUN <<EOF\necho $V\nEOF");
  });

  test("the same meaning renders the same; a different value does not", () => {
    expect(render("COPY --chmod=644 --chown=a x /y")).toBe(render("copy --chown=a  --chmod=644 x  /y"));
    expect(render("ENV A=$V", { V: "1" })).not.toBe(render("ENV A=$V", { V: "2" }));
  });
});
