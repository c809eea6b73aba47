import { describe, expect, test } from "bun:test";
import { expandHeredoc, expandWord, expandWords, lex } from "../../src/build/dockerfile/expand.ts";
import { expandInstruction } from "../../src/build/dockerfile/expand-instruction.ts";
import type { Instruction } from "../../src/build/dockerfile/instructions.ts";
import { parseDockerfile } from "../../src/build/dockerfile/parse.ts";

const env = { PWD: "/home", SHELL: "bash", KOREAN: "한국어", NULL: "" };
const ERROR = Symbol("error");

describe("expandWord() follows Docker's substitution rules", () => {
  // Cases from the Dockerfile reference and BuildKit's shell lexer tests.
  test.each<[string, string | typeof ERROR]>([
    ["hello", "hello"],
    ["he'll'o", "hello"],
    ["he'llo", ERROR],
    ["he\\'llo", "he'llo"],
    ["he\\\\'llo", ERROR],
    ["abc\\tdef", "abctdef"],
    ['"abc\\tdef"', "abc\\tdef"],
    ['"abc\\\\tdef"', "abc\\tdef"],
    ["'abc\\tdef'", "abc\\tdef"],
    ["hello\\", "hello"],
    ["hello\\\\", "hello\\"],
    ['"hello', ERROR],
    ['"hello\\"', ERROR],
    ['"hel\'lo"', "hel'lo"],
    ["'hello", ERROR],
    ["'hello\\'", "hello\\"],
    ["'hello\\there'", "hello\\there"],
    ["\"''\"", "''"],
    ["$.", "$."],
    ["he$1x", "hex"],
    ["he$.x", "he$.x"],
    ["he$pwd.", "he."],
    ["he$PWD", "he/home"],
    ["he\\$PWD", "he$PWD"],
    ["he\\\\$PWD", "he\\/home"],
    ['"he\\$PWD"', "he$PWD"],
    ['"he\\\\$PWD"', "he\\/home"],
    ["\\${}", "${}"],
    ["\\${}aaa", "${}aaa"],
    ["he\\${}xx", "he${}xx"],
    ["${}", ERROR],
    ["he${}xx", ERROR],
    ["he${hi}", "he"],
    ["he${hi}xx", "hexx"],
    ["he${PWD}", "he/home"],
    ["he${.}", ERROR],
    ["he${XXX:-000}xx", "he000xx"],
    ["he${PWD:-000}xx", "he/homexx"],
    ["he${XXX:-$PWD}xx", "he/homexx"],
    ["he${XXX:-${PWD:-yyy}}xx", "he/homexx"],
    ["he${XXX:-${YYY:-yyy}}xx", "heyyyxx"],
    ["he${XXX:YYY}", ERROR],
    ["he${XXX?}", ERROR],
    ["he${XXX:?}", ERROR],
    ["he${PWD?}", "he/home"],
    ["he${PWD:?}", "he/home"],
    ["he${NULL?}", "he"],
    ["he${NULL:?}", ERROR],
    ["he${XXX:+${PWD}}xx", "hexx"],
    ["he${PWD:+${XXX}}xx", "hexx"],
    ["he${PWD:+${SHELL}}xx", "hebashxx"],
    ["he${XXX:+000}xx", "hexx"],
    ["he${PWD:+000}xx", "he000xx"],
    ["he${NULL:+000}xx", "hexx"],
    ["he${NULL+000}xx", "he000xx"],
    ["he${NULL-000}xx", "hexx"],
    ["he${NULL:-000}xx", "he000xx"],
    ["he${XXX-000}xx", "he000xx"],
    ["'he${XX}'", "he${XX}"],
    ['"he${PWD}"', "he/home"],
    ["\"he'$PWD'\"", "he'/home'"],
    ['"$PWD"', "/home"],
    ["'$PWD'", "$PWD"],
    ["'\\$PWD'", "\\$PWD"],
    ["'\"hello\"'", '"hello"'],
    ["he${PWD", ERROR],
    ["he${PWD:=000}xx", ERROR],
    ["he${PWD:+${PWD}:}xx", "he/home:xx"],
    ["he${XXX:-\\$PWD:}xx", "he$PWD:xx"],
    ["he${XXX:-\\${PWD}z}xx", "he${PWDz}xx"],
    ["안녕하세요", "안녕하세요"],
    ["안'녕'하세요", "안녕하세요"],
    ["안'녕하세요", ERROR],
    ["안녕\\'하세요", "안녕'하세요"],
    ['"안녕\\\'하세요"', "안녕\\'하세요"],
    ["$KOREAN", "한국어"],
    ["안$KOREAN", "안한국어"],
    ["${{aaa}", ERROR],
    ["${aaa}}", "}"],
    ["${aaa:-bbb}", "bbb"],
    ["${aaa:-${bbb:-ccc}}", "ccc"],
    ["${aaa:-bbb ${foo}", ERROR],
    ["${aaa:-bbb {foo}", "bbb {foo"],
    ["${:}", ERROR],
    ["${:-bbb}", ERROR],
    ["a b  c", "a b  c"],
  ])("%p → %p", (input, expected) => {
    if (expected === ERROR) expect(() => expandWord(input, env)).toThrow();
    else expect(expandWord(input, env)).toBe(expected);
  });

  test.each([
    ["${FOO#*x*y}", { FOO: "xxyy" }, "y"],
    ["${FOO#*}", { FOO: "xxyy" }, "xxyy"],
    ["${FOO##*x}", { FOO: "xxyy" }, "yy"],
    ["${FOO#?\\?}", { FOO: "???y" }, "?y"],
    ["${FOO#$BAR}", { FOO: "xxyy", BAR: "x" }, "xyy"],
    ["${FOO%x}", { FOO: "xxyy" }, "xxyy"],
    ["${FOO%y*}", { FOO: "xxyy" }, "xxy"],
    ["${FOO%%y*}", { FOO: "xxyy" }, "xx"],
    ["${FOO%%\\**}", { FOO: "xx**" }, "xx"],
    ["${FOO%%\\**\\*}", { FOO: "a***yy*" }, "a"],
    ["${FOO#()[]{\\}^$.\\*\\?|\\\\}", { FOO: "()[]{}^$.*?|\\x" }, "x"],
    ["${FOO/$NEEDLE/.} - ${FOO//$NEEDLE/.}", { FOO: "/foo*/*/*.txt", NEEDLE: "\\*/" }, "/foo.*/*.txt - /foo..*.txt"],
    ["${FOO/$NEEDLE/} - ${FOO//$NEEDLE/}", { FOO: "/tmp/tmp/bar.txt", NEEDLE: "/tmp" }, "/tmp/bar.txt - /bar.txt"],
    ["${FOO/$N/$R} - ${FOO//$N/$R}", { FOO: "/a/foo/b/c.txt", N: "/?/", R: "/" }, "/foo/b/c.txt - /foo/c.txt"],
    ["${FOO//\\//\\/}", { FOO: "/tmp/foo.txt" }, "\\/tmp\\/foo.txt"],
    ["${FOO///}", { FOO: "xxyy" }, "xxyy"],
    ["${FOO/x/$}", { FOO: "xxyy" }, "$xyy"],
    ["${TARGETVARIANT:+-${TARGETVARIANT}}", { TARGETVARIANT: "v7" }, "-v7"],
  ])("%p with %j → %p", (input, vars, expected) => {
    expect(expandWord(input, vars)).toBe(expected);
  });

  test.each(["${FOO//ww}", "${FOO//}", "${FOO#\\x}"])("%p is an error", (input) => {
    expect(() => expandWord(input, { FOO: "xxyy" })).toThrow();
  });

  test("${VAR:?message} reports the message", () => {
    expect(() => expandWord("${VAR:?message here$ARG}", { VAR: "", ARG: "x" })).toThrow(
      'failed to process "${VAR:?message here$ARG}": VAR: message herex',
    );
    expect(() => expandWord("${VAR?}", {})).toThrow("VAR: is not allowed to be unset");
    expect(() => expandWord("${VAR:?}", { VAR: "" })).toThrow("VAR: is not allowed to be empty");
  });

  test("a Map works as well as an object, and object prototypes are not variables", () => {
    expect(expandWord("$A-$constructor-$toString", new Map([["A", "1"]]))).toBe("1--");
    expect(expandWord("$A-$constructor", { A: "1" })).toBe("1-");
  });

  test("the escape directive's backtick replaces the backslash", () => {
    expect(expandWord("c:\\windows\\`$X", { X: "1" }, "`")).toBe("c:\\windows\\$X");
    expect(expandWord('"a`"b"', {}, "`")).toBe('a"b');
  });

  test("the Dockerfile reference's example", () => {
    const vars = { foo: "/bar" };
    expect(expandWord("${foo}/bar", vars)).toBe("/bar/bar");
    expect(expandWord("$foo", vars)).toBe("/bar");
    expect(expandWord("\\$foo", vars)).toBe("$foo");
    expect(expandWord("\\${foo:-x}", vars)).toBe("${foo:-x}");
    expect(expandWord("${foo:-world}", {})).toBe("world");
    expect(expandWord("${foo:+world}", vars)).toBe("world");
  });
});

describe("expandWords() splits like a shell", () => {
  test.each<[string, Record<string, string>, string[]]>([
    ["a b  c", {}, ["a", "b", "c"]],
    ["'a b' c", {}, ["a b", "c"]],
    ['"a $X" c', { X: "1 2" }, ["a 1 2", "c"]],
    ["$X", { X: "80 443/udp" }, ["80", "443/udp"]],
    ["a\\ b", {}, ["a b"]],
    ['""', {}, []],
    ["  lead trail  ", {}, ["lead", "trail"]],
    ["x${X}y", { X: " " }, ["x", "y"]],
  ])("%p → %j", (input, vars, expected) => {
    expect(expandWords(input, vars)).toEqual(expected);
  });

  test("lex() can keep quotes and escapes and leave unset variables alone", () => {
    expect(lex(`"a" 'b' \\c $U \${U}`, {}, { rawQuotes: true, rawEscapes: true, skipUnset: true }).words).toEqual([
      '"a"', "'b'", "\\c", "$U", "${U}",
    ]);
  });
});

describe("expandHeredoc()", () => {
  test("substitutes variables and keeps quotes", () => {
    expect(expandHeredoc(`name="$NAME" '\${NAME}'\n`, { NAME: "me" })).toBe(`name="me" 'me'\n`);
  });

  test("a backslash escapes the next character, as in BuildKit", () => {
    expect(expandHeredoc("cost \\$5 and a\\nb\n", {})).toBe("cost $5 and anb\n");
  });
});

describe("expandInstruction()", () => {
  const vars = { IMG: "busybox", TAG: "1.36", DIR: "/app", SRC: "src dir", PORTS: "80 443/udp", USERNAME: "app", EMPTY: "" };

  function expanded(line: string, env: Record<string, string> = vars): Instruction {
    const df = parseDockerfile(line.startsWith("FROM") ? `${line}\n` : `FROM x\n${line}\n`);
    const inst = line.startsWith("FROM") ? df.stages[0].from : df.stages[0].instructions[0];
    return expandInstruction(df, inst, env);
  }

  test.each<[string, Record<string, unknown>]>([
    ["FROM ${IMG}:${TAG} AS base", { image: "busybox:1.36", name: "base" }],
    ["FROM --platform=$P $IMG", { image: "busybox", platform: "linux/amd64" }],
    ['ENV A="$DIR/bin" B=${TAG}x C=\'$DIR\'', { env: [{ key: "A", value: "/app/bin" }, { key: "B", value: "1.36x" }, { key: "C", value: "$DIR" }] }],
    ["ENV legacy a $DIR \"q\"", { env: [{ key: "legacy", value: "a /app q" }] }],
    ['LABEL "com.example.vendor"="ACME Inc" v=$TAG', { labels: [{ key: "com.example.vendor", value: "ACME Inc" }, { key: "v", value: "1.36" }] }],
    ["ARG A=$DIR B", { args: [{ name: "A", value: "/app" }, { name: "B" }] }],
    ["EXPOSE $PORTS 8080", { ports: ["80", "443/udp", "8080"] }],
    ["VOLUME $DIR/data /logs", { volumes: ["/app/data", "/logs"] }],
    ["USER ${USERNAME}:${USERNAME}", { user: "app:app" }],
    ["WORKDIR $DIR/sub dir", { path: "/app/sub dir" }],
    ["STOPSIGNAL ${SIG:-SIGTERM}", { signal: "SIGTERM" }],
    ["COPY --from=$IMG --chown=$USERNAME --chmod=${MODE:-644} a/$TAG \"$SRC\" $DIR/", {
      from: "busybox", chown: "app", chmod: "644", sources: ["a/1.36", "src dir"], dest: "/app/",
    }],
    ['COPY ["$SRC", "$DIR/x y"]', { sources: ["src dir"], dest: "/app/x y" }],
    ["ADD --checksum=$SUM $IMG.tar $DIR", { checksum: "sha256:1", sources: ["busybox.tar"], dest: "/app" }],
  ])("%p", (line, expected) => {
    expect(expanded(line, { ...vars, P: "linux/amd64", SUM: "sha256:1" })).toMatchObject(expected);
  });

  test.each([
    ["RUN echo $DIR", { command: { form: "shell", script: "echo $DIR" } }],
    ['CMD ["echo", "$DIR"]', { command: { form: "exec", args: ["echo", "$DIR"] } }],
    ["ENTRYPOINT echo $DIR", { command: { form: "shell", script: "echo $DIR" } }],
    ["MAINTAINER $USERNAME", { maintainer: "$USERNAME" }],
    ["ONBUILD COPY $DIR /x", { expression: "COPY $DIR /x", trigger: { sources: ["$DIR"] } }],
    ['SHELL ["$SHELL", "-c"]', { shell: ["$SHELL", "-c"] }],
    ["HEALTHCHECK CMD echo $DIR", { test: ["CMD-SHELL", "echo $DIR"] }],
  ])("%p is left for its shell or kept as written", (line, expected) => {
    expect(expanded(line)).toMatchObject(expected);
  });

  test("an unquoted COPY heredoc is substituted, a quoted one is not", () => {
    const df = parseDockerfile("FROM x\nCOPY <<A <<'B' /d/\n$DIR \"q\"\nA\n$DIR\nB\n");
    const copy = expandInstruction(df, df.stages[0].instructions[0], vars);
    expect(copy).toMatchObject({ heredocs: [{ name: "A", content: '/app "q"\n' }, { name: "B", content: "$DIR\n" }] });
  });

  test("RUN heredocs are left for the shell", () => {
    const df = parseDockerfile("FROM x\nRUN <<EOF\necho $DIR\nEOF\n");
    expect(expandInstruction(df, df.stages[0].instructions[0], vars)).toMatchObject({ heredocs: [{ content: "echo $DIR\n" }] });
  });

  test("the parsed instruction is not changed", () => {
    const df = parseDockerfile("FROM x\nWORKDIR $DIR\n");
    expandInstruction(df, df.stages[0].instructions[0], vars);
    expect(df.stages[0].instructions[0]).toMatchObject({ path: "$DIR" });
  });

  test("the escape directive is used", () => {
    const df = parseDockerfile("# escape=`\nFROM x\nWORKDIR c:\\$DIR`$X\n");
    expect(expandInstruction(df, df.stages[0].instructions[0], vars)).toMatchObject({ path: "c:\\/app$X" });
  });

  test("a FROM that expands to nothing is an error", () => {
    const df = parseDockerfile("ARG IMG\nFROM $IMG\n");
    expect(() => expandInstruction(df, df.stages[0].from, {})).toThrow("Dockerfile:2: base name ($IMG) should not be blank");
  });

  test("a VOLUME that expands to nothing is an error", () => {
    expect(() => expanded("VOLUME $EMPTY")).toThrow("Dockerfile:2: VOLUME specified can not be an empty string");
  });

  test("a bad substitution names the file and line", () => {
    const df = parseDockerfile("FROM x\nRUN a\nWORKDIR ${DIR\n", { file: "app.Dockerfile" });
    expect(() => expandInstruction(df, df.stages[0].instructions[1], vars)).toThrow(
      "app.Dockerfile:3: failed to process \"${DIR\": syntax error: missing '}'",
    );
  });
});
