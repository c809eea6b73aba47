import { describe, expect, test } from "bun:test";
import type { Instruction } from "../../src/build/dockerfile/instructions.ts";
import { parseDockerfile } from "../../src/build/dockerfile/parse.ts";

/** The first instruction after `FROM x`, without the fields every instruction has. */
function one(line: string): Record<string, unknown> {
  const inst = parseDockerfile(`FROM x\n${line}\n`).stages[0].instructions[0];
  return fieldsOf(inst);
}

function fieldsOf(inst: Instruction): Record<string, unknown> {
  const { line: _l, endLine: _e, keyword: _k, original: _o, ...rest } = inst;
  return JSON.parse(JSON.stringify(rest)); // drops undefined fields
}

describe("FROM", () => {
  test.each([
    ["FROM busybox", { kind: "FROM", image: "busybox" }],
    ["FROM scratch", { kind: "FROM", image: "scratch" }],
    ["FROM busybox:1.36 AS Build", { kind: "FROM", image: "busybox:1.36", name: "build" }],
    ["from busybox as build", { kind: "FROM", image: "busybox", name: "build" }],
    ["FROM --platform=linux/arm64 busybox", { kind: "FROM", image: "busybox", platform: "linux/arm64" }],
    ["FROM --platform=$BUILDPLATFORM golang AS b-1.x_y", { kind: "FROM", image: "golang", name: "b-1.x_y", platform: "$BUILDPLATFORM" }],
    ["FROM ${BASE}:${TAG}", { kind: "FROM", image: "${BASE}:${TAG}" }],
  ])("%p", (text, expected) => {
    expect(fieldsOf(parseDockerfile(text).stages[0].from)).toEqual(expected);
  });

  test("each FROM starts a stage with its index and name", () => {
    const df = parseDockerfile("FROM a AS one\nRUN x\nFROM b\nRUN y\nRUN z\n");
    expect(df.stages.map((s) => [s.index, s.name, s.from.image, s.instructions.length])).toEqual([
      [0, "one", "a", 1],
      [1, undefined, "b", 2],
    ]);
  });

  test("ARGs before the first FROM are the global ARGs", () => {
    const df = parseDockerfile("ARG A=1 B\nARG C\nFROM x\nARG D\n");
    expect(df.metaArgs.map((a) => a.args)).toEqual([[{ name: "A", value: "1" }, { name: "B" }], [{ name: "C" }]]);
    expect(df.stages[0].instructions.map((i) => i.kind)).toEqual(["ARG"]);
  });
});

describe("RUN, CMD, ENTRYPOINT", () => {
  test.each([
    ["RUN echo hello", { form: "shell", script: "echo hello" }],
    ["RUN   echo   spaced   ", { form: "shell", script: "echo   spaced" }],
    ['RUN ["echo", "hello"]', { form: "exec", args: ["echo", "hello"] }],
    ['RUN [ "echo" ,"a b" ]', { form: "exec", args: ["echo", "a b"] }],
    ['RUN ["echo", "a\\"b", "\\u00e9", "c\\\\d", "tab\\there"]', { form: "exec", args: ["echo", 'a"b', "é", "c\\d", "tab\there"] }],
    ["RUN [\"echo\", 'single']", { form: "shell", script: "[\"echo\", 'single']" }],
    ['RUN ["echo", "unterminated]', { form: "shell", script: '["echo", "unterminated]' }],
    ["RUN [echo]", { form: "shell", script: "[echo]" }],
    ['RUN ["echo"] trailing text', { form: "exec", args: ["echo"] }],
  ])("%p has command %j", (line, command) => {
    expect(one(line)).toMatchObject({ kind: "RUN", command });
  });

  test("RUN keeps --mount, --network and --security", () => {
    expect(one("RUN --mount=type=cache,target=/root/.cache --mount=type=secret,id=x --network=none --security=insecure make")).toEqual({
      kind: "RUN",
      command: { form: "shell", script: "make" },
      heredocs: [],
      mounts: ["type=cache,target=/root/.cache", "type=secret,id=x"],
      network: "none",
      security: "insecure",
    });
  });

  test("flag values may be quoted", () => {
    expect(one('RUN --mount="type=bind,source=a b" ls')).toMatchObject({ mounts: ["type=bind,source=a b"] });
  });

  test("a -- ends the flags", () => {
    expect(one("RUN -- --help")).toMatchObject({ command: { form: "shell", script: "--help" } });
  });

  test("flags come only right after the keyword", () => {
    expect(one("RUN echo --network=none")).toMatchObject({ command: { form: "shell", script: "echo --network=none" }, mounts: [] });
  });

  test.each([
    ["CMD", 'CMD ["nginx", "-g", "daemon off;"]', { form: "exec", args: ["nginx", "-g", "daemon off;"] }],
    ["CMD", "CMD echo $HOME", { form: "shell", script: "echo $HOME" }],
    ["CMD", "CMD []", { form: "exec", args: [] }],
    ["ENTRYPOINT", 'ENTRYPOINT ["top", "-b"]', { form: "exec", args: ["top", "-b"] }],
    ["ENTRYPOINT", "ENTRYPOINT exec top -b", { form: "shell", script: "exec top -b" }],
  ])("%s: %p", (kind, line, command) => {
    expect(one(line)).toEqual({ kind, command });
  });

  test("RUN, CMD and ENTRYPOINT text is not substituted by the parser", () => {
    expect(one('CMD echo "$HOME" \'${X}\'')).toEqual({ kind: "CMD", command: { form: "shell", script: "echo \"$HOME\" '${X}'" } });
  });
});

describe("SHELL", () => {
  test("takes a JSON array", () => {
    expect(one('SHELL ["/bin/bash", "-o", "pipefail", "-c"]')).toEqual({ kind: "SHELL", shell: ["/bin/bash", "-o", "pipefail", "-c"] });
  });
});

describe("LABEL and ENV", () => {
  test.each([
    ['LABEL "com.example.vendor"="ACME Incorporated"', [{ key: '"com.example.vendor"', value: '"ACME Incorporated"' }]],
    ["LABEL version=1.0 description='a b'", [{ key: "version", value: "1.0" }, { key: "description", value: "'a b'" }]],
    ['LABEL multi.label1="value1" \\\n      other="value3"', [{ key: "multi.label1", value: '"value1"' }, { key: "other", value: '"value3"' }]],
    ["LABEL legacy value with spaces", [{ key: "legacy", value: "value with spaces" }]],
    ["LABEL empty=", [{ key: "empty", value: "" }]],
    ['LABEL a=b\\ c d="e\\"f"', [{ key: "a", value: "b\\ c" }, { key: "d", value: '"e\\"f"' }]],
  ])("%p", (line, labels) => {
    expect(one(line)).toEqual({ kind: "LABEL", labels });
  });

  test.each([
    ['ENV MY_NAME="John Doe"', [{ key: "MY_NAME", value: '"John Doe"' }]],
    ["ENV MY_DOG=Rex\\ The\\ Dog", [{ key: "MY_DOG", value: "Rex\\ The\\ Dog" }]],
    ["ENV MY_CAT=fluffy A=1", [{ key: "MY_CAT", value: "fluffy" }, { key: "A", value: "1" }]],
    ["ENV MY_VAR my-value", [{ key: "MY_VAR", value: "my-value" }]],
    ["ENV ONE TWO= THREE=world", [{ key: "ONE", value: "TWO= THREE=world" }]],
    ["ENV PATH=/usr/local/bin:$PATH", [{ key: "PATH", value: "/usr/local/bin:$PATH" }]],
    ["ENV a=", [{ key: "a", value: "" }]],
  ])("%p", (line, env) => {
    expect(one(line)).toEqual({ kind: "ENV", env });
  });

  test("the escape directive applies to word splitting", () => {
    const df = parseDockerfile("# escape=`\nFROM x\nENV a=b` c d=e\n");
    expect(df.stages[0].instructions[0]).toMatchObject({ env: [{ key: "a", value: "b` c" }, { key: "d", value: "e" }] });
  });
});

describe("simple one-argument instructions", () => {
  test.each([
    ["MAINTAINER Jane Doe <jane@example.com>", { kind: "MAINTAINER", maintainer: "Jane Doe <jane@example.com>" }],
    ["USER patrick", { kind: "USER", user: "patrick" }],
    ["USER 1000:1000", { kind: "USER", user: "1000:1000" }],
    ["WORKDIR /a/b c", { kind: "WORKDIR", path: "/a/b c" }],
    ["WORKDIR $DIRPATH/$DIRNAME", { kind: "WORKDIR", path: "$DIRPATH/$DIRNAME" }],
    ["STOPSIGNAL SIGKILL", { kind: "STOPSIGNAL", signal: "SIGKILL" }],
    ["STOPSIGNAL 9", { kind: "STOPSIGNAL", signal: "9" }],
  ])("%p", (line, expected) => {
    expect(one(line)).toEqual(expected);
  });
});

describe("EXPOSE and VOLUME", () => {
  test.each([
    ["EXPOSE 80", ["80"]],
    ["EXPOSE 80/tcp 80/udp", ["80/tcp", "80/udp"]],
    ["EXPOSE 8000-8010 $PORT", ["8000-8010", "$PORT"]],
  ])("%p", (line, ports) => {
    expect(one(line)).toEqual({ kind: "EXPOSE", ports });
  });

  test.each([
    ['VOLUME ["/data"]', ["/data"]],
    ['VOLUME ["/a b", " /c "]', ["/a b", "/c"]],
    ["VOLUME /var/log /var/db", ["/var/log", "/var/db"]],
    ["VOLUME $DIR", ["$DIR"]],
  ])("%p", (line, volumes) => {
    expect(one(line)).toEqual({ kind: "VOLUME", volumes });
  });
});

describe("ADD and COPY", () => {
  test("COPY with every flag", () => {
    expect(one("COPY --from=build --chown=app:app --chmod=0755 --link --parents --exclude=*.md --exclude=tmp a b /dst/")).toEqual({
      kind: "COPY",
      sources: ["a", "b"],
      heredocs: [],
      dest: "/dst/",
      json: false,
      from: "build",
      chown: "app:app",
      chmod: "0755",
      link: true,
      parents: true,
      exclude: ["*.md", "tmp"],
    });
  });

  test("ADD with its own flags", () => {
    expect(one("ADD --keep-git-dir=true --checksum=sha256:abc --link=false https://example.com/a.tar.gz /x")).toEqual({
      kind: "ADD",
      sources: ["https://example.com/a.tar.gz"],
      heredocs: [],
      dest: "/x",
      json: false,
      keepGitDir: true,
      checksum: "sha256:abc",
      link: false,
      exclude: [],
    });
  });

  test("the JSON form allows spaces in paths", () => {
    expect(one('COPY ["my file.txt", "other", "/dest dir/"]')).toMatchObject({
      sources: ["my file.txt", "other"],
      dest: "/dest dir/",
      json: true,
    });
  });

  test("paths keep their wildcards and variables for later", () => {
    expect(one("COPY hom?.txt *.go $SRC /mydir/")).toMatchObject({ sources: ["hom?.txt", "*.go", "$SRC"], dest: "/mydir/" });
  });

  test("flag values may be quoted and escaped", () => {
    expect(one('COPY --chown="a b" --from=x\\ y a /b')).toMatchObject({ chown: "a b", from: "x y" });
  });
});

describe("ARG", () => {
  test.each([
    ["ARG user1", [{ name: "user1" }]],
    ["ARG buildno=1", [{ name: "buildno", value: "1" }]],
    ["ARG a=1 b c=", [{ name: "a", value: "1" }, { name: "b" }, { name: "c", value: "" }]],
    ['ARG msg="hello world" x', [{ name: "msg", value: '"hello world"' }, { name: "x" }]],
    ["ARG v=${OTHER:-x}", [{ name: "v", value: "${OTHER:-x}" }]],
  ])("%p", (line, args) => {
    expect(one(line)).toEqual({ kind: "ARG", args });
  });
});

describe("ONBUILD", () => {
  test("the trigger is parsed as an instruction of its own", () => {
    const inst = one("ONBUILD ADD . /app/src");
    expect(inst).toMatchObject({ kind: "ONBUILD", expression: "ADD . /app/src", trigger: { kind: "ADD", sources: ["."], dest: "/app/src" } });
  });

  test("a RUN trigger keeps its flags", () => {
    expect(one("onbuild RUN --network=none make")).toMatchObject({
      expression: "RUN --network=none make",
      trigger: { kind: "RUN", keyword: "RUN", network: "none", command: { form: "shell", script: "make" } },
    });
  });
});

describe("HEALTHCHECK", () => {
  test.each([
    ["HEALTHCHECK NONE", { kind: "HEALTHCHECK", test: ["NONE"] }],
    ["HEALTHCHECK none", { kind: "HEALTHCHECK", test: ["NONE"] }],
    ["HEALTHCHECK CMD curl -f http://localhost/ || exit 1", { kind: "HEALTHCHECK", test: ["CMD-SHELL", "curl -f http://localhost/ || exit 1"] }],
    ['HEALTHCHECK cmd ["curl", "-f", "http://x/"]', { kind: "HEALTHCHECK", test: ["CMD", "curl", "-f", "http://x/"] }],
    [
      "HEALTHCHECK --interval=5m --timeout=3s --start-period=1m30s --start-interval=500ms --retries=3 CMD true",
      { kind: "HEALTHCHECK", test: ["CMD-SHELL", "true"], interval: 300e9, timeout: 3e9, startPeriod: 90e9, startInterval: 5e8, retries: 3 },
    ],
    ["HEALTHCHECK --interval=1.5s CMD true", { kind: "HEALTHCHECK", test: ["CMD-SHELL", "true"], interval: 1.5e9 }],
  ])("%p", (line, expected) => {
    expect(one(line)).toEqual(expected);
  });
});

describe("line numbers and original text", () => {
  test("each instruction knows its first and last line and its text as written", () => {
    const df = parseDockerfile("FROM x\n\nRUN a \\\n  b\nCOPY <<EOF /f\nhi\nEOF\nCMD c\n");
    expect(df.stages[0].instructions.map((i) => [i.kind, i.line, i.endLine, i.original])).toEqual([
      ["RUN", 3, 4, "RUN a   b"],
      ["COPY", 5, 7, "COPY <<EOF /f"],
      ["CMD", 8, 8, "CMD c"],
    ]);
  });
});
