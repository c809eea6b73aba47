/**
 * The layered view, in-root path resolution and change lists, on plain
 * temp directories. Whiteouts and opaque directories use fuse-overlayfs's
 * file form (`.wh.NAME`, `.wh..wh..opq`), which needs no privilege.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, lutimesSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { copyChanges, overlayChanges } from "../../../src/runtime/container-fs/changes.ts";
import { DirFd } from "../../../src/runtime/container-fs/dir-fd.ts";
import { LayeredDir } from "../../../src/runtime/container-fs/layered-dir.ts";
import { resolvedPath, resolveInRoot } from "../../../src/runtime/container-fs/resolve-path.ts";

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

/** `name/` a directory, `name -> target` a symlink, `name=text` a file. */
function tree(spec: string[]): string {
  const root = mkdtempSync(join(tmpdir(), "rr-cfs-"));
  dirs.push(root);
  for (const s of spec) {
    const link = s.split(" -> ");
    if (link.length === 2) {
      mkdirSync(dirname(join(root, link[0]!)), { recursive: true });
      symlinkSync(link[1]!, join(root, link[0]!));
      lutimesSync(join(root, link[0]!), 1e9, 1e9); // fixed times: the copy-driver comparison looks at them
      continue;
    }
    if (s.endsWith("/")) { mkdirSync(join(root, s), { recursive: true }); continue; }
    const [name, text = ""] = s.split("=");
    mkdirSync(dirname(join(root, name!)), { recursive: true });
    writeFileSync(join(root, name!), text);
    utimesSync(join(root, name!), 1e9, 1e9);
  }
  return root;
}

const view = (...layers: string[]) => LayeredDir.open(layers.map((path) => ({ path, whiteoutFiles: true })));

describe("LayeredDir", () => {
  test("the top layer wins, whiteouts hide, an opaque directory hides what is below it", () => {
    const lower = tree(["etc/passwd=old", "etc/gone=x", "data/a=a", "data/b=b", "bin/sh=sh"]);
    const upper = tree(["etc/passwd=new", "etc/.wh.gone", "data/.wh..wh..opq", "data/c=c"]);
    const v = view(upper, lower);
    try {
      expect(v.names()).toEqual(["bin", "data", "etc"]);
      const etc = v.openChild("etc");
      expect(etc.names()).toEqual(["passwd"]);
      expect(etc.lookup("passwd")!.layer).toBe(0);
      expect(etc.lookup("gone")).toBeUndefined();
      etc.close();
      const data = v.openChild("data");
      expect(data.names()).toEqual(["c"]);
      data.close();
    } finally {
      v.close();
    }
  });
});

describe("resolveInRoot keeps every path inside the root", () => {
  const root = () => tree([
    "etc/passwd=container", "evil -> /", "rel -> ../../../../..", "abs -> /etc", "loop -> loop", "dir/up -> ../etc", "file=f",
  ]);

  test("absolute and relative symlinks that point out land on the root itself", () => {
    const v = view(root());
    try {
      for (const p of ["/evil/etc/passwd", "/rel/etc/passwd", "/abs/passwd", "/dir/up/passwd", "/../../etc/passwd", "dir/../../../etc/passwd"]) {
        const r = resolveInRoot(v, p, { followLast: false });
        expect(resolvedPath(r)).toBe("/etc/passwd");
        expect(r.entry!.stat.size).toBe("container".length);
        r.release();
      }
    } finally {
      v.close();
    }
  });

  test("the final symlink is followed only when asked; loops and missing parents fail", () => {
    const v = view(root());
    try {
      const link = resolveInRoot(v, "/abs", { followLast: false });
      expect(link.entry!.stat.isSymbolicLink()).toBe(true);
      link.release();
      const followed = resolveInRoot(v, "/abs", { followLast: true });
      expect(resolvedPath(followed)).toBe("/etc");
      followed.release();
      const missing = resolveInRoot(v, "/etc/nope", { followLast: true });
      expect(missing.entry).toBeUndefined();
      expect(resolvedPath(missing)).toBe("/etc/nope");
      missing.release();
      expect(() => resolveInRoot(v, "/loop/x", { followLast: false })).toThrow("too many levels of symbolic links");
      expect(() => resolveInRoot(v, "/nope/x", { followLast: false })).toThrow("no such file or directory");
      expect(() => resolveInRoot(v, "/file/x", { followLast: false })).toThrow("not a directory");
      const top = resolveInRoot(v, "/evil/", { followLast: true });
      expect(top.name).toBeUndefined();
      top.release();
    } finally {
      v.close();
    }
  });
});

describe("change lists", () => {
  test("overlay: A, C and D from the upper layer, parents first, rr's mount points left out", () => {
    const lower = tree(["etc/passwd=old", "etc/group=g", "bin/ls=ls", "bin/sh=sh", "data/a=a", "data/b=b"]);
    const upper = tree([
      "etc/passwd=new", "etc/hosts=", "etc/new=n", "bin/.wh.ls", "data/.wh..wh..opq", "data/c=c",
      "proc/", "sys/", "dev/", "tmp/x/y=1", "a-b=1",
    ]);
    const up = DirFd.open(upper);
    const low = LayeredDir.open([{ path: lower }]);
    try {
      expect(overlayChanges(up, low, true).map((c) => `${c.kind} ${c.path}`)).toEqual([
        "A /a-b", "C /bin", "D /bin/ls", "C /data", "D /data/a", "D /data/b", "A /data/c",
        "C /etc", "A /etc/new", "C /etc/passwd", "A /tmp", "A /tmp/x", "A /tmp/x/y",
      ]);
    } finally {
      up.close();
      low.close();
    }
  });

  test("names are ordered by bytes, as Go walks them: /a, /a/x, /a-b", () => {
    const lower = tree(["a/"]);
    const upper = tree(["a/x=1", "a-b=1"]);
    const up = DirFd.open(upper);
    const low = LayeredDir.open([{ path: lower }]);
    try {
      expect(overlayChanges(up, low, true).map((c) => c.path)).toEqual(["/a", "/a/x", "/a-b"]);
    } finally {
      up.close();
      low.close();
    }
  });

  test("copy driver: compares type, mode, size, mtime and link target with the image", () => {
    const spec = ["etc/passwd=same", "etc/group=g", "bin/sh -> busybox", "bin/x -> a", "tmp/", "gone/deep=1", "mtime=m"];
    const lower = tree(spec);
    const root = tree([...spec.filter((s) => !s.startsWith("gone") && s !== "bin/x -> a" && s !== "etc/group=g"), "bin/x -> b", "etc/group=gg", "new/f=1", "etc/hosts="]);
    utimesSync(join(root, "mtime"), 1000, 1000);
    utimesSync(join(lower, "mtime"), 2000, 2000);
    chmodSync(join(root, "tmp"), 0o1777);
    const after = DirFd.open(root);
    const before = LayeredDir.open([{ path: lower }]);
    try {
      expect(copyChanges(after, before).map((c) => `${c.kind} ${c.path}`)).toEqual([
        "C /bin", "C /bin/x", "C /etc", "C /etc/group", "D /gone", "C /mtime", "A /new", "A /new/f", "C /tmp",
      ]);
    } finally {
      after.close();
      before.close();
    }
  });
});
