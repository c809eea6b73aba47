import { describe, expect, test } from "bun:test";
import { heredocMarkers, parseHeredocWord, runScript } from "../../src/build/dockerfile/heredoc.ts";
import type { CopyInstruction, RunInstruction } from "../../src/build/dockerfile/instructions.ts";
import { parseDockerfile } from "../../src/build/dockerfile/parse.ts";

const stage = (text: string) => parseDockerfile(`FROM x\n${text}`).stages[0].instructions;

describe("parseHeredocWord()", () => {
  test.each([
    ["<<EOF", { name: "EOF", expand: true, chomp: false }],
    ["<<-EOF", { name: "EOF", expand: true, chomp: true }],
    ["<<'EOF'", { name: "EOF", expand: false, chomp: false }],
    ['<<"EOF"', { name: "EOF", expand: false, chomp: false }],
    ["<<-'EOF'", { name: "EOF", expand: false, chomp: true }],
    ['<<E"O"F', { name: "EOF", expand: false, chomp: false }],
    ["3<<EOF", { name: "EOF", expand: true, chomp: false, fd: 3 }],
    ["<<file.txt", { name: "file.txt", expand: true, chomp: false }],
  ])("%p is a heredoc", (word, expected) => {
    expect(parseHeredocWord(word)).toEqual(expected);
  });

  test.each(["", "EOF", "<<", "<<-", "<EOF", "<<<EOF", "'<<EOF'", "a<<EOF"])("%p is not a heredoc", (word) => {
    expect(parseHeredocWord(word)).toBeUndefined();
  });

  test.each(["<<'EOF", '<<"EOF', "<<EOF'", '<<EOF"'])("%p has an unclosed quote", (word) => {
    expect(() => parseHeredocWord(word)).toThrow("unexpected end of statement");
  });
});

describe("heredocMarkers()", () => {
  test.each([
    ["RUN <<EOF", ["EOF"]],
    ["RUN <<-EOF", ["EOF"]],
    ["RUN <<'EOF'", ["EOF"]],
    ["RUN 4<<EOF", ["EOF"]],
    ["RUN <<EOF <<EOF2", ["EOF", "EOF2"]],
    ["RUN cat <<EOF > /file", ["EOF"]],
    ["RUN cat << EOF > /file", ["EOF"]],
    ["RUN '<<EOF'", []],
    ['RUN "<<EOF"', []],
    ["RUN echo \\<<EOF", []],
    ["RUN --mount=type=cache,target=/x <<EOF", ["EOF"]],
  ])("%p opens %j", (line, names) => {
    expect(heredocMarkers(line).map((m) => m.name)).toEqual(names);
  });
});

describe("heredocs in a Dockerfile", () => {
  test("RUN <<EOF takes the lines up to EOF as its body", () => {
    const [run, next] = stage("RUN <<EOF\napt-get update\napt-get install -y curl\nEOF\nRUN after\n") as RunInstruction[];
    expect(run.command).toEqual({ form: "shell", script: "<<EOF" });
    expect(run.heredocs).toEqual([{ name: "EOF", expand: true, chomp: false, content: "apt-get update\napt-get install -y curl\n" }]);
    expect([run.line, run.endLine, next.line]).toEqual([2, 5, 6]);
  });

  test("an empty heredoc has an empty body", () => {
    const [run] = stage("RUN <<EMPTY\nEMPTY\n") as RunInstruction[];
    expect(run.heredocs[0].content).toBe("");
  });

  test("comments, blank lines and backslashes inside a body are kept as they are", () => {
    const [run] = stage("RUN <<EOF\n# internal comment\n\necho a \\\necho b # trailing\nEOF\n") as RunInstruction[];
    expect(run.heredocs[0].content).toBe("# internal comment\n\necho a \\\necho b # trailing\n");
  });

  test("<<- strips leading tabs from the body and the closing line", () => {
    const [run] = stage("RUN <<-EOT\n\tbaz\n\t\tquux\n  spaces stay\n\tEOT\n") as RunInstruction[];
    expect(run.heredocs[0]).toEqual({ name: "EOT", expand: true, chomp: true, content: "baz\nquux\n  spaces stay\n" });
  });

  test("without <<- an indented delimiter does not close the heredoc", () => {
    const [run] = stage("RUN <<EOF\n\tEOF\nEOF\n") as RunInstruction[];
    expect(run.heredocs[0].content).toBe("\tEOF\n");
  });

  test("a quoted delimiter marks the body as not to be expanded", () => {
    const [run] = stage("RUN <<'NOEXPAND'\ndon't expand $NAME\nNOEXPAND\n") as RunInstruction[];
    expect(run.heredocs[0]).toMatchObject({ name: "NOEXPAND", expand: false, content: "don't expand $NAME\n" });
  });

  test("a command may read a heredoc, with flags before it", () => {
    const [run] = stage("RUN --mount=type=cache,target=/c python3 <<EOF > /out\nprint(1)\nEOF\n") as RunInstruction[];
    expect(run.command).toEqual({ form: "shell", script: "python3 <<EOF > /out" });
    expect(run.mounts).toEqual(["type=cache,target=/c"]);
    expect(run.heredocs.map((h) => h.content)).toEqual(["print(1)\n"]);
  });

  test("several heredocs on one line are read one after the other", () => {
    const [run] = stage("RUN <<FILE1 cat > /a && <<FILE2 cat > /b\nfirst\nFILE1\nsecond\nFILE2\n") as RunInstruction[];
    expect(run.heredocs.map((h) => [h.name, h.content])).toEqual([["FILE1", "first\n"], ["FILE2", "second\n"]]);
  });

  test("a delimiter can appear inside another heredoc's body", () => {
    const [copy] = stage("COPY <<X <<Y /dest\nY\nX\nX\nY\n") as CopyInstruction[];
    expect(copy.heredocs.map((h) => [h.name, h.content])).toEqual([["X", "Y\n"], ["Y", "X\n"]]);
  });

  test("COPY <<EOF /path makes a file from the body", () => {
    const [copy] = stage("COPY --chmod=0755 <<EOF /entrypoint.sh\n#!/bin/sh\nexec \"$@\"\nEOF\n") as CopyInstruction[];
    expect(copy).toMatchObject({ kind: "COPY", sources: [], dest: "/entrypoint.sh", chmod: "0755" });
    expect(copy.heredocs).toEqual([{ name: "EOF", expand: true, chomp: false, content: '#!/bin/sh\nexec "$@"\n' }]);
  });

  test("COPY <<a.txt <<b.txt /dir/ makes two files named after their delimiters", () => {
    const [copy] = stage("COPY <<a.txt <<b.txt /dir/\nA\na.txt\nB\nb.txt\n") as CopyInstruction[];
    expect(copy.heredocs.map((h) => [h.name, h.content])).toEqual([["a.txt", "A\n"], ["b.txt", "B\n"]]);
    expect(copy.dest).toBe("/dir/");
  });

  test("ADD mixes heredocs and context files", () => {
    const [add] = stage("ADD <<EOF foo.txt /bar\nthis is inline\nEOF\n") as CopyInstruction[];
    expect(add).toMatchObject({ kind: "ADD", sources: ["foo.txt"], dest: "/bar", heredocs: [{ name: "EOF", content: "this is inline\n" }] });
  });

  test("the JSON form has no heredocs", () => {
    const insts = stage('RUN ["<<EOF"]\nCOPY ["<<EOF", "/x"]\n');
    expect(insts.map((i) => i.kind)).toEqual(["RUN", "COPY"]);
    expect((insts[1] as CopyInstruction).sources).toEqual(["<<EOF"]);
  });

  test("other instructions do not open heredocs", () => {
    expect(() => stage("USER <<INVALID\nINVALID\n")).toThrow("Dockerfile:3: unknown instruction: INVALID");
  });

  test("an ONBUILD trigger can carry a heredoc", () => {
    const [onbuild] = stage("ONBUILD RUN <<EOF\necho hi\nEOF\n");
    expect(onbuild).toMatchObject({
      kind: "ONBUILD",
      expression: "RUN <<EOF\necho hi\nEOF",
      trigger: { kind: "RUN", heredocs: [{ name: "EOF", content: "echo hi\n" }] },
    });
  });

  test("a line the shell could not split opens no heredoc; the shell reports it when it runs", () => {
    const [run] = stage("RUN cat <<'EOF\n") as RunInstruction[];
    expect([run.command, run.heredocs]).toEqual([{ form: "shell", script: "cat <<'EOF" }, []]);
  });

  test("a heredoc may follow a continued line", () => {
    const [run] = stage("RUN cat \\\n  <<EOF\nbody\nEOF\n") as RunInstruction[];
    expect(run.heredocs[0].content).toBe("body\n");
    expect([run.line, run.endLine]).toEqual([2, 5]);
  });
});

describe("runScript()", () => {
  const doc = { name: "EOF", expand: true, chomp: false, content: "#!/usr/bin/env python3\nprint(1)\n" };

  test("a lone <<EOF is a script file, so a #! line picks the interpreter", () => {
    expect(runScript("<<EOF", [doc])).toEqual({ kind: "file", heredoc: doc });
  });

  test("a command reading heredocs gets them back under it", () => {
    expect(runScript("python3 <<EOF", [doc])).toEqual({ kind: "shell", script: "python3 <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF" });
  });

  test("several heredocs are all put back in order", () => {
    const a = { name: "A", expand: true, chomp: false, content: "1\n" };
    const b = { name: "B", expand: false, chomp: false, content: "2\n" };
    expect(runScript("cat <<A <<'B'", [a, b])).toEqual({ kind: "shell", script: "cat <<A <<'B'\n1\nA\n2\nB" });
  });
});
