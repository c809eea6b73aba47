import { describe, expect, test } from "bun:test";
import { DockerIgnore } from "../../src/build/dockerignore.ts";
import { UsageError } from "../../src/errors.ts";

const ignore = (...lines: string[]) => DockerIgnore.parse(lines.join("\n"));

/** Paths → whether they are ignored, for compact expectations. */
function verdicts(di: DockerIgnore, paths: string[]): Record<string, boolean> {
  return Object.fromEntries(paths.map((p) => [p, di.isIgnored(p)]));
}

describe("the Dockerfile reference's examples", () => {
  test("*/temp*, */*/temp* and temp?", () => {
    const di = ignore("# comment", "*/temp*", "*/*/temp*", "temp?");
    expect(verdicts(di, [
      "somedir/temporary.txt", "somedir/temp", "somedir/subdir/temporary.txt", "tempa", "tempb",
      "temp", "temp12", "temporary.txt", "a/b/c/tempa", "somedir/other.txt",
    ])).toEqual({
      "somedir/temporary.txt": true, "somedir/temp": true, "somedir/subdir/temporary.txt": true, tempa: true, tempb: true,
      temp: false, temp12: false, "temporary.txt": false, "a/b/c/tempa": false, "somedir/other.txt": false,
    });
  });

  test("**/*.go matches .go files at any depth, the root included", () => {
    const di = ignore("**/*.go");
    expect(verdicts(di, ["main.go", "cmd/x/main.go", "main.gox", "go", "a/b.go/c"])).toEqual({
      "main.go": true, "cmd/x/main.go": true, "main.gox": false, go: false, "a/b.go/c": true,
    });
  });

  test("*.md with !README.md keeps only the README", () => {
    const di = ignore("*.md", "!README.md");
    expect(verdicts(di, ["README.md", "CHANGES.md", "docs/a.md"])).toEqual({ "README.md": false, "CHANGES.md": true, "docs/a.md": false });
  });

  test("the last matching line wins: an exclusion after the exception excludes again", () => {
    const di = ignore("*.md", "!README*.md", "README-secret.md");
    expect(verdicts(di, ["README.md", "README-secret.md", "other.md"])).toEqual({
      "README.md": false, "README-secret.md": true, "other.md": true,
    });
  });

  test("an exception after the exclusion wins over it", () => {
    const di = ignore("*.md", "README-secret.md", "!README*.md");
    expect(verdicts(di, ["README.md", "README-secret.md", "other.md"])).toEqual({
      "README.md": false, "README-secret.md": false, "other.md": true,
    });
  });

  test("* then exceptions lists what to include", () => {
    const di = ignore("*", "!src", "!package.json");
    expect(verdicts(di, ["src", "src/index.ts", "package.json", "README.md", "test/a.ts"])).toEqual({
      src: false, "src/index.ts": false, "package.json": false, "README.md": true, "test/a.ts": true,
    });
  });
});

describe("patterns", () => {
  test("leading and trailing slashes and ./ are cleaned away", () => {
    for (const p of ["/foo/bar", "foo/bar", "./foo/bar", "foo/bar/", "foo//bar", "foo/x/../bar"]) {
      expect(verdicts(ignore(p), ["foo/bar", "foo/bar/baz", "foo", "bar"])).toEqual({
        "foo/bar": true, "foo/bar/baz": true, foo: false, bar: false,
      });
    }
  });

  test("a pattern that matches a directory excludes everything in it", () => {
    expect(verdicts(ignore("node_modules"), ["node_modules", "node_modules/a/b.js", "src/node_modules", "node_modules2"])).toEqual({
      node_modules: true, "node_modules/a/b.js": true, "src/node_modules": false, node_modules2: false,
    });
  });

  test("a trailing slash does not restrict a pattern to directories", () => {
    expect(ignore("build/").isIgnored("build", false)).toBe(true);
  });

  test("* and ? do not cross a slash", () => {
    expect(verdicts(ignore("a*b", "c?d"), ["ab", "axxb", "a/b", "cxd", "c/d"])).toEqual({
      ab: true, axxb: true, "a/b": false, cxd: true, "c/d": false,
    });
  });

  test("** spans any number of directories, none included", () => {
    expect(verdicts(ignore("a/**/b"), ["a/b", "a/x/b", "a/x/y/b", "a/xb", "a/x/b/c"])).toEqual({
      "a/b": true, "a/x/b": true, "a/x/y/b": true, "a/xb": false, "a/x/b/c": true,
    });
    expect(verdicts(ignore("**/foo"), ["foo", "a/foo", "a/b/foo", "a/foo/x", "xfoo"])).toEqual({
      foo: true, "a/foo": true, "a/b/foo": true, "a/foo/x": true, xfoo: false,
    });
    expect(verdicts(ignore("foo/**"), ["foo", "foo/x", "foo/x/y", "foox"])).toEqual({
      foo: false, "foo/x": true, "foo/x/y": true, foox: false,
    });
    expect(verdicts(ignore("**"), ["a", "a/b/c"])).toEqual({ a: true, "a/b/c": true });
  });

  test("character classes and escapes", () => {
    expect(verdicts(ignore("[a-c].txt", "x[^0-9]", "\\*.log"), ["a.txt", "c.txt", "d.txt", "xa", "x1", "*.log", "a.log"])).toEqual({
      "a.txt": true, "c.txt": true, "d.txt": false, xa: true, x1: false, "*.log": true, "a.log": false,
    });
  });

  test("regular-expression characters are literal", () => {
    expect(verdicts(ignore("a.b", "(x)+", "$y|{z}"), ["a.b", "axb", "(x)+", "xx", "$y|{z}"])).toEqual({
      "a.b": true, axb: false, "(x)+": true, xx: false, "$y|{z}": true,
    });
  });

  test("comments start in column 1; blank lines, CRLF and surrounding spaces are ignored", () => {
    const di = DockerIgnore.parse("\uFEFF# comment\r\n\r\n  *.tmp  \r\n #notacomment\r\n!  keep.tmp\r\n");
    expect(di.rules).toEqual([
      { pattern: "*.tmp", exclusion: false, line: 3 },
      { pattern: "#notacomment", exclusion: false, line: 4 },
      { pattern: "keep.tmp", exclusion: true, line: 5 },
    ]);
    expect(verdicts(di, ["a.tmp", "keep.tmp", "#notacomment"])).toEqual({ "a.tmp": true, "keep.tmp": false, "#notacomment": true });
  });

  test("paths are cleaned before matching and the context root is never ignored", () => {
    const di = ignore("*");
    expect(verdicts(di, [".", "./", "", "/a", "./a/b"])).toEqual({ ".": false, "./": false, "": false, "/a": true, "./a/b": true });
  });

  test("fromPatterns() takes patterns without comment handling", () => {
    const di = DockerIgnore.fromPatterns(["*.go", "!main.go", "#x"]);
    expect(verdicts(di, ["a.go", "main.go", "#x"])).toEqual({ "a.go": true, "main.go": false, "#x": true });
  });

  test("an empty file ignores nothing", () => {
    expect(ignore("").isIgnored("anything")).toBe(false);
    expect(ignore("").hasExceptions).toBe(false);
  });
});

describe("pattern errors", () => {
  test.each([
    [["!"], '.dockerignore:1: illegal exclusion pattern: "!"'],
    [["a", "[abc"], '.dockerignore:2: syntax error in pattern "[abc"'],
    [["[]a]"], '.dockerignore:1: syntax error in pattern "[]a]"'],
    [["[a-]"], '.dockerignore:1: syntax error in pattern "[a-]"'],
    [["a\\"], '.dockerignore:1: syntax error in pattern "a\\"'],
  ])("%j", (lines, message) => {
    expect(() => ignore(...lines)).toThrow(new UsageError(message));
  });
});

describe("canSkipDir()", () => {
  test("an ignored directory with no exceptions can be skipped", () => {
    const di = ignore("node_modules", ".git");
    expect([di.canSkipDir("node_modules"), di.canSkipDir(".git"), di.canSkipDir("src"), di.canSkipDir(".")]).toEqual([true, true, false, false]);
  });

  test("a directory an exception reaches into cannot be skipped", () => {
    const di = ignore("dir", "!dir/keep.txt");
    expect(di.isIgnored("dir")).toBe(true);
    expect(di.canSkipDir("dir")).toBe(false);
    expect(verdicts(di, ["dir/keep.txt", "dir/other"])).toEqual({ "dir/keep.txt": false, "dir/other": true });
  });

  test("an exception elsewhere does not stop the skip", () => {
    const di = ignore("*", "!src");
    expect([di.canSkipDir("docs"), di.canSkipDir("src")]).toEqual([true, false]);
  });

  test("wildcard exceptions are followed segment by segment", () => {
    const di = ignore("build", "!*/keep");
    expect(di.canSkipDir("build")).toBe(false);
    expect(di.isIgnored("build/keep")).toBe(false);
    const deep = ignore("a/b", "!a/b/c/d");
    expect([deep.canSkipDir("a/b"), deep.canSkipDir("a/b/x"), deep.canSkipDir("a/b/c")]).toEqual([false, true, false]);
  });

  test("an exception with ** blocks every skip", () => {
    const di = ignore("*", "!**/*.go");
    expect(di.canSkipDir("docs")).toBe(false);
    expect(di.isIgnored("docs/x/main.go")).toBe(false);
  });

  test("an exception before the rule that decides does not count", () => {
    const di = ignore("!a/keep", "a");
    expect(di.canSkipDir("a")).toBe(true);
    expect(di.isIgnored("a/keep")).toBe(true);
  });

  test("a skipped directory never holds a path that is not ignored", () => {
    const sets = [
      ["*", "!src", "src/gen"], ["dir", "!dir/keep.txt"], ["build", "!*/keep"], ["a/b", "!a/b/c/d"], ["**/tmp", "!x/tmp/k"],
      ["*.md", "!README*.md", "README-secret.md"], ["a", "!a/[bc]", "a/b/z"], ["x/**", "!x/y/*.go"], ["*/*", "!a/b/keep"],
    ];
    const names = ["a", "b", "c", "d", "x", "y", "z", "src", "dir", "keep", "keep.txt", "tmp", "k", "gen", "build", "m.go", "README.md"];
    const paths: string[] = [];
    for (const p of names) for (const q of names) for (const r of names) paths.push(p, `${p}/${q}`, `${p}/${q}/${r}`);
    for (const set of sets) {
      const di = ignore(...set);
      const wrong: string[] = [];
      for (const path of paths) {
        if (di.isIgnored(path)) continue;
        const parts = path.split("/");
        for (let n = 1; n < parts.length; n++) {
          const dir = parts.slice(0, n).join("/");
          if (di.canSkipDir(dir)) wrong.push(`${dir} skipped but ${path} is kept`);
        }
      }
      expect({ set, wrong }).toEqual({ set, wrong: [] });
    }
  });
});
