import { describe, expect, test } from "bun:test";
import { assertsDirectory, planCopy, rebaseName, sourceTop } from "../../../src/runtime/container-fs/cp-plan.ts";

const dest = (exists: boolean, isDir: boolean, assertsDir = false) => ({ exists, isDir, assertsDir, label: '"D"' });

describe("docker cp's destination rules", () => {
  test("an existing directory receives the source under its own name", () => {
    expect(planCopy({ isDir: false, top: "f" }, dest(true, true), "d")).toEqual({ into: "dest" });
    expect(planCopy({ isDir: true, top: "src" }, dest(true, true), "d")).toEqual({ into: "dest" });
  });

  test("a file replaces an existing file, renamed to it", () => {
    expect(planCopy({ isDir: false, top: "f" }, dest(true, false), "g")).toEqual({ into: "parent", rename: "g" });
  });

  test("a directory cannot replace a file", () => {
    expect(() => planCopy({ isDir: true, top: "src" }, dest(true, false), "g")).toThrow("cannot copy directory");
  });

  test("a missing destination is created under its name; with a trailing slash it must exist", () => {
    expect(planCopy({ isDir: true, top: "." }, dest(false, false), "new")).toEqual({ into: "parent", rename: "new" });
    expect(planCopy({ isDir: false, top: "f" }, dest(false, false), "new")).toEqual({ into: "parent", rename: "new" });
    expect(() => planCopy({ isDir: false, top: "f" }, dest(false, false, true), "new")).toThrow("no such directory");
  });

  test("SRC/. and / copy contents; a trailing slash or /. asserts a directory", () => {
    expect(sourceTop("/etc/.")).toBe(".");
    expect(sourceTop("/")).toBe(".");
    expect(sourceTop("/etc/passwd")).toBe("passwd");
    expect(sourceTop("dir/")).toBe("dir");
    expect(assertsDirectory("x/")).toBe(true);
    expect(assertsDirectory("x/.")).toBe(true);
    expect(assertsDirectory("x")).toBe(false);
  });

  test("rebaseName renames only the top entry", () => {
    expect(rebaseName("src", "src", "dst")).toBe("dst");
    expect(rebaseName("src/", "src", "dst")).toBe("dst");
    expect(rebaseName("src/a/b", "src", "dst")).toBe("dst/a/b");
    expect(rebaseName("./src/a", "src", "dst")).toBe("dst/a");
    expect(rebaseName("srcx/a", "src", "dst")).toBe("srcx/a");
    expect(rebaseName("./", ".", "dst")).toBe("dst");
    expect(rebaseName("./a/b", ".", "dst")).toBe("dst/a/b");
  });
});
