/**
 * DESIGN.md's layering, checked by reading the sources: only src/sys/
 * touches bun:ffi, only src/cli/ prints or exits, src/image/ never reaches
 * up into src/runtime/, and nothing below the CLI imports it.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

const SRC = join(import.meta.dir, "..", "src");

function sources(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

const files = sources().map((path) => ({ rel: relative(SRC, path), text: readFileSync(path, "utf8") }));
const offenders = (where: (rel: string) => boolean, pattern: RegExp) =>
  files.filter((f) => where(f.rel) && pattern.test(f.text)).map((f) => f.rel);

describe("module boundaries", () => {
  test("only src/sys/ imports bun:ffi", () => {
    expect(offenders((r) => !r.startsWith("sys/"), /from "bun:ffi"/)).toEqual([]);
  });
  test("only src/cli/ prints with console or exits the process", () => {
    expect(offenders((r) => !r.startsWith("cli/"), /console\.(log|error|warn)|process\.exit\(/)).toEqual([]);
  });
  test("src/image/ does not import src/runtime/ or src/cli/", () => {
    expect(offenders((r) => r.startsWith("image/"), /from "\.\.\/(runtime|cli)\//)).toEqual([]);
  });
  test("nothing outside src/cli/ imports src/cli/", () => {
    expect(offenders((r) => !r.startsWith("cli/"), /from "\.\.\/cli\/|from "\.\.\/\.\.\/cli\//)).toEqual([]);
  });
  test("src/store/ does not import src/runtime/ except for identity data", () => {
    const bad = files.filter((f) => f.rel.startsWith("store/")).flatMap((f) =>
      [...f.text.matchAll(/from "\.\.\/runtime\/([a-z-]+)\.ts"/g)].map((m) => m[1]).filter((m) => m !== "identity"));
    expect(bad).toEqual([]);
  });
});
