/**
 * Where `rr build` takes files from, in each identity mode: COPY --from a
 * stage or an image (symlinks resolved inside that image), ADD of local
 * archives (by content: tar, gzip, bzip2, xz, zstd; hostile ones refused)
 * and of URLs (a server on 127.0.0.1 in this process), a build context on
 * stdin (a Dockerfile alone, or a tar), ONBUILD triggers, and the stages a
 * target needs.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { gzipSync, zstdCompressSync } from "node:zlib";
import { integrationSkipReason, MODES, Sandbox, userIds, type Mode, type RunResult } from "../helpers/rr.ts";
import { writeFixtures } from "../helpers/fixtures.ts";
import { registrySkipReason, startRegistry, type RunningRegistry } from "../helpers/registry.ts";
import { tarBytes, type TarSpec } from "../../src/image/tar-writer.ts";

const skip = integrationSkipReason();

/** A context file: text, bytes with a mode, or a symlink. */
type Spec = string | { data: string | Uint8Array; mode?: number } | { symlink: string };

const T0 = 1_700_000_000;
const tarOf = (entries: TarSpec[]) => tarBytes(entries.map((e) => ({ mtime: T0, ...e })));

/** Compresses with the Debian command (bzip2, xz), as a user's archive would be. */
function compress(bytes: Uint8Array, command: "bzip2" | "xz"): Uint8Array {
  const r = Bun.spawnSync([command, "-c"], { stdin: bytes, stdout: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${command} -c failed`);
  return new Uint8Array(r.stdout);
}

describe.skipIf(!!skip).each(MODES)(`rr build sources (%s)${skip ? ` — skipped: ${skip}` : ""}`, (mode: Mode) => {
  let sb: Sandbox;
  let nctx = 0;

  const chownTree = (p: string) => {
    const { uid, gid } = userIds()!;
    Bun.spawnSync(["chown", "-hR", `${uid}:${gid}`, p]);
  };
  /** A build context owned by the mode's user. */
  const context = (dockerfile: string, files: Record<string, Spec> = {}): string => {
    const dir = sb.path(`ctx-${++nctx}`);
    mkdirSync(dir, { mode: 0o755 });
    writeFileSync(join(dir, "Dockerfile"), dockerfile);
    for (const [name, spec] of Object.entries(files)) {
      const p = join(dir, name);
      mkdirSync(dirname(p), { recursive: true, mode: 0o755 });
      if (typeof spec === "string") writeFileSync(p, spec);
      else if ("symlink" in spec) symlinkSync(spec.symlink, p);
      else { writeFileSync(p, spec.data); chmodSync(p, spec.mode ?? 0o644); }
    }
    if (mode !== "root") chownTree(dir);
    return dir;
  };
  const build = (dir: string, args: string[] = [], stdin?: Uint8Array | string) => sb.rr(mode, ["build", ...args, dir], { stdin });
  const buildOk = (dir: string, args: string[] = [], stdin?: Uint8Array | string): string => {
    const r = build(dir, args, stdin);
    if (r.code !== 0) throw new Error(`rr build ${args.join(" ")} exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    return r.stdout;
  };
  /** rr without blocking this process, so the HTTP server in it keeps answering. */
  const buildAsync = async (dir: string, args: string[] = []): Promise<RunResult> => {
    const { argv, env } = sb.command(mode, ["build", ...args, dir]);
    const p = Bun.spawn(argv, { env, cwd: sb.dir, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    return { code, stdout, stderr };
  };
  const run = (image: string, script: string) => sb.ok(mode, ["run", "--rm", image, "sh", "-c", script]);
  const inspect = (image: string) => JSON.parse(sb.ok(mode, ["inspect", image]))[0];
  /** Which non-FROM steps came from the cache, by their text. */
  const cached = (out: string): [string, boolean][] => {
    const steps: [string, boolean][] = [];
    for (const line of out.split("\n")) {
      const m = /^Step \d+\/\d+ : (.*)$/.exec(line);
      if (m) steps.push([m[1]!, false]);
      else if (line === " ---> Using cache" && steps.length) steps[steps.length - 1]![1] = true;
    }
    return steps.filter(([t]) => !/^FROM /i.test(t));
  };
  /** What a failed build must not leave: images, layers, containers, temporary files. */
  const storeState = () => {
    const list = (sub: string) => { try { return readdirSync(join(sb.storeRoot(mode), sub)).sort(); } catch { return []; } };
    const index = JSON.parse(readFileSync(join(sb.storeRoot(mode), "index.json"), "utf8")) as { manifests: unknown[] };
    return { manifests: index.manifests.length, layers: list("layers"), tmp: list("tmp"), containers: sb.ok(mode, ["ps", "-a", "-q"]) };
  };
  /** rootless-single maps one id: what the layers record as 1234 belongs to root in a container there. */
  const seenOwner = (owner: string) => (mode === "rootless-single" ? "0:0" : owner);

  beforeAll(() => {
    sb = new Sandbox();
    sb.ok(mode, ["load", "-i", writeFixtures(sb).busybox]);
  });
  afterAll(() => sb?.cleanup());

  describe("COPY --from", () => {
    // rootless-single cannot chown in a RUN: the stage's odd owner comes from an archive there
    const stage = [
      "FROM busybox AS build",
      "ADD owned.tar /out/",
      "RUN echo built > /out/x && ln -s x /out/link && mkdir -p /out/sub && echo deep > /out/sub/y && ln -s /out /abs-link",
      "FROM busybox",
    ];
    const owned = () => tarOf([{ type: "file", path: "secret", data: "private\n", mode: 0o600, uid: 1234, gid: 4321 }]);

    test("copies a stage's directory contents, follows a symlink source, expands wildcards, keeps owners; --from=0 by index", () => {
      const dir = context([
        ...stage,
        "COPY --from=build /out /dst",
        "COPY --from=build /out/link /bin/sh /single/",
        "COPY --from=build /out/[xl]* /glob/",
        "COPY --from=build /abs-link/sub/y /through-link",
        "COPY --from=0 --chown=app:wheel --chmod=640 /out/x /chowned",
        "COPY --from=busybox /etc/group /from-image",
      ].join("\n") + "\n", { "owned.tar": { data: owned() } });
      buildOk(dir, ["-t", "from:1"]);
      expect(run("from:1", "cd /dst && find . | sort && stat -c '%n %a %u:%g' secret link x sub/y && readlink link"))
        .toBe(`.\n./link\n./secret\n./sub\n./sub/y\n./x\nsecret 600 ${seenOwner("1234:4321")}\nlink 777 0:0\nx 644 0:0\nsub/y 644 0:0\nx\n`);
      // a symlink named as the source is followed (Docker's rule): /single/link is the file, /single/sh busybox itself
      expect(run("from:1", "test -L /single/link || cat /single/link; test -L /single/sh || /single/sh -c 'echo real-busybox'"))
        .toBe("built\nreal-busybox\n");
      expect(run("from:1", "ls /glob; cat /glob/link /through-link; stat -c '%a %U:%G' /chowned; head -1 /from-image"))
        .toBe(`link\nx\nbuilt\ndeep\n640 ${mode === "rootless-single" ? "root:root" : "app:wheel"}\nroot:x:0:\n`);
    });

    test("resolves symlinks inside the source image: a link to a host path finds nothing there", () => {
      const host = sb.path(`host-secret-${mode}`);
      writeFileSync(host, "host secret\n");
      chmodSync(host, 0o644);
      for (const link of [host, `../../../../../../../..${host}`]) {
        const dir = context(`FROM busybox AS build\nRUN ln -s ${link} /leak\nFROM busybox\nCOPY --from=build /leak /leaked\n`);
        buildOk(dir, ["--target", "build", "-q"]); // the stage is cached: the failing COPY alone could leave something
        const before = storeState();
        const r = build(dir, ["-t", "leak"]);
        expect({ code: r.code, leaked: r.stdout.includes("Successfully") }).toEqual({ code: 1, leaked: false });
        expect(r.stderr).toMatch(/^rr: Dockerfile:4: COPY: COPY failed: "\/leak" not found in stage "build"/);
        expect(storeState()).toEqual(before);
      }
      // the same link names a file when the image has it: /etc/group of busybox, not of the host
      const dir = context("FROM busybox AS build\nRUN ln -s /etc/group /g && ln -s ../../../../etc/group /g2\nFROM busybox\nCOPY --from=build /g /g2 /out/\n");
      buildOk(dir, ["-t", "leak:ok"]);
      expect(run("leak:ok", "cat /out/g /out/g2 | grep -c wheel")).toBe("2\n");
    });

    test("the cache keys on what is copied, not on the stage's image id", () => {
      const df = (v: string) => context([
        "FROM busybox AS build",
        `RUN echo ${v} > /other && echo same > /same && echo ${v} > /changing`,
        "FROM busybox",
        "COPY --from=build /same /same",
        "COPY --from=build /changing /changing",
      ].join("\n") + "\n");
      buildOk(df("one"), ["-t", "fromcache"]);
      const again = buildOk(df("one"), ["-t", "fromcache"]);
      expect(cached(again)).toEqual([["RUN echo one > /other && echo same > /same && echo one > /changing", true], ["COPY --from=build /same /same", true], ["COPY --from=build /changing /changing", true]]);
      // the stage is rebuilt (a new image id); /same did not change, /changing did
      const changed = buildOk(df("two"), ["-t", "fromcache"]);
      expect(cached(changed)).toEqual([["RUN echo two > /other && echo same > /same && echo two > /changing", false], ["COPY --from=build /same /same", true], ["COPY --from=build /changing /changing", false]]);
      expect(run("fromcache", "cat /same /changing")).toBe("same\ntwo\n");
    });

    test("a missing path, a later stage and an unknown image fail with the line and leave nothing", () => {
      const before = storeState();
      const cases: [string, RegExp][] = [
        [`${stage.slice(0, 3).join("\n")}\nFROM busybox\nCOPY --from=build /out/nothing /x\n`, /^rr: Dockerfile:5: COPY: COPY failed: "\/out\/nothing" not found in stage "build"/m],
        [`${stage.slice(0, 3).join("\n")}\nFROM busybox\nCOPY --from=build /out/*.none /x/\n`, /^rr: Dockerfile:5: COPY: COPY failed: no source files were specified/m],
        [`${stage.slice(0, 3).join("\n")}\nFROM busybox\nCOPY --from=build /out/x /out/link /nodir\n`, /^rr: Dockerfile:5: COPY: When using COPY with more than one source file, the destination must be a directory and end with a \//m],
        ["FROM busybox\nFROM busybox AS later\nCOPY --from=1 /etc /x\n", /^rr: Dockerfile:3: .*refers to current or later build stage/m],
        ["FROM busybox\nCOPY --from=127.0.0.1:1/no/such:image /etc /x\n", /Dockerfile:2: COPY: .*127\.0\.0\.1:1/],
      ];
      for (const [df, message] of cases) {
        const r = build(context(df, { "owned.tar": { data: owned() } }), ["-t", "fromfail"]);
        expect({ df, code: r.code }).toEqual({ df, code: 1 });
        expect(r.stderr).toMatch(message);
      }
      const after = storeState();
      // a stage that built before the failing step may stay as build cache; the target never appears
      expect(after.containers).toBe(before.containers);
      expect(after.tmp).toEqual(before.tmp);
      expect(sb.rr(mode, ["inspect", "fromfail"]).code).toBe(1);
    });
  });

  describe.skipIf(!!registrySkipReason())(`COPY --from an image that is not here${registrySkipReason() ? ` — skipped: ${registrySkipReason()}` : ""}`, () => {
    let reg: RunningRegistry;
    beforeAll(async () => {
      reg = await startRegistry();
      sb.ok(mode, ["tag", "busybox", `${reg.host}/${mode}/src:1`]);
      const { argv, env } = sb.command(mode, ["push", `${reg.host}/${mode}/src:1`]);
      const p = Bun.spawn(argv, { env, stdout: "ignore", stderr: "pipe" });
      if ((await p.exited) !== 0) throw new Error(`push failed: ${await new Response(p.stderr).text()}`);
      sb.ok(mode, ["rmi", `${reg.host}/${mode}/src:1`]);
    });
    afterAll(async () => { await reg?.cleanup(); });

    test("is pulled, as FROM would pull it", async () => {
      const ref = `${reg.host}/${mode}/src:1`;
      const dir = context(`FROM busybox\nCOPY --from=${ref} /etc/passwd /pulled-passwd\n`);
      const r = await buildAsync(dir, ["-t", "pulledfrom"]);
      expect({ code: r.code, err: r.code ? r.stderr : "" }).toEqual({ code: 0, err: "" });
      expect(sb.ok(mode, ["images", "--format", "{{.Repository}}:{{.Tag}}", ref])).toBe(`${ref}\n`);
      expect(run("pulledfrom", "grep -c app: /pulled-passwd")).toBe("1\n");
    });
  });

  describe("ADD of local archives", () => {
    const entries: TarSpec[] = [
      { type: "dir", path: "pkg/", mode: 0o750, uid: 1234, gid: 4321 },
      { type: "file", path: "pkg/run.sh", data: "#!/bin/sh\necho ran\n", mode: 0o755, uid: 1234, gid: 4321 },
      { type: "symlink", path: "pkg/latest", linkname: "run.sh" },
      { type: "hardlink", path: "pkg/again.sh", linkname: "pkg/run.sh" },
      { type: "file", path: "./top.txt", data: "top\n", mode: 0o600 },
    ];

    test("extracts tar, gzip, bzip2, xz and zstd archives into the destination, whatever their names", () => {
      const tar = tarOf(entries);
      const dir = context([
        "FROM busybox",
        "ADD plain.tar /x/tar/",
        "ADD archive.tgz /x/gzip",
        "ADD compressed.bin /x/bzip2/",
        "ADD a.txz /x/xz/",
        "ADD a.tar.zst /x/zstd/",
        "ADD looks-like.txt /x/renamed/",
      ].join("\n") + "\n", {
        "plain.tar": { data: tar }, "archive.tgz": { data: gzipSync(tar) }, "compressed.bin": { data: compress(tar, "bzip2") },
        "a.txz": { data: compress(tar, "xz") }, "a.tar.zst": { data: zstdCompressSync(tar) }, "looks-like.txt": { data: tar },
      });
      buildOk(dir, ["-t", "addtar"]);
      const want = ["pkg 750 1234:4321", "pkg/again.sh 755 1234:4321", "pkg/latest 777 0:0", "pkg/run.sh 755 1234:4321", "top.txt 600 0:0"]
        .map((l) => l.replace("1234:4321", seenOwner("1234:4321"))).join("\n");
      for (const kind of ["tar", "gzip", "bzip2", "xz", "zstd", "renamed"]) {
        expect(run("addtar", `cd /x/${kind} && find . -mindepth 1 | sort | sed 's|^./||' | xargs stat -c '%n %a %u:%g'; readlink pkg/latest; pkg/latest; stat -c %h pkg/run.sh`))
          .toBe(`${want}\nrun.sh\nran\n2\n`);
      }
    });

    test("copies files that only look like archives as they are: a gzip of text, an empty tar, a name ending in .tar", () => {
      const dir = context("FROM busybox\nADD notes.gz empty.tar fake.tar /files/\n", {
        "notes.gz": { data: gzipSync(Buffer.from("just text\n")) }, "empty.tar": { data: new Uint8Array(1024) }, "fake.tar": "not a tar\n",
      });
      buildOk(dir, ["-t", "addplain"]);
      expect(run("addplain", "ls /files; zcat /files/notes.gz; wc -c < /files/empty.tar; cat /files/fake.tar")).toBe("empty.tar\nfake.tar\nnotes.gz\njust text\n1024\nnot a tar\n");
    });

    test("--chown and --chmod apply to what is extracted; it merges into an existing directory", () => {
      const dir = context("FROM busybox\nRUN mkdir -p /opt/keep && echo kept > /opt/keep/old\nADD --chown=app:app --chmod=700 a.tgz /opt/keep/\n", { "a.tgz": { data: gzipSync(tarOf(entries)) } });
      buildOk(dir, ["-t", "addown"]);
      expect(run("addown", "cd /opt/keep && cat old && stat -c '%n %a %U' pkg pkg/run.sh top.txt"))
        .toBe(`kept\npkg 700 ${mode === "rootless-single" ? "root" : "app"}\npkg/run.sh 700 ${mode === "rootless-single" ? "root" : "app"}\ntop.txt 700 ${mode === "rootless-single" ? "root" : "app"}\n`);
    });

    test("a hostile archive fails with the line and leaves no image, layer or container", () => {
      const hostile: Record<string, [TarSpec[], RegExp]> = {
        "dotdot.tar": [[{ type: "file", path: "ok", data: "ok" }, { type: "file", path: "../../etc/evil", data: "pwned" }], /entry "\.\.\/\.\.\/etc\/evil" points outside the destination/],
        "deep-dotdot.tar": [[{ type: "file", path: "a/../../evil", data: "pwned" }], /entry "a\/\.\.\/\.\.\/evil" points outside the destination/],
        "symlink-out.tar": [[{ type: "symlink", path: "evil", linkname: "../../../" }, { type: "file", path: "evil/etc/passwd", data: "pwned" }], /entry "evil" is a symlink to "\.\.\/\.\.\/\.\.\/", outside the destination/],
        "through-symlink.tar": [[{ type: "symlink", path: "etc", linkname: "/etc" }, { type: "file", path: "etc/passwd", data: "pwned" }], /entry "etc\/passwd" would be written through the symlink "etc"/],
        "hardlink-out.tar": [[{ type: "hardlink", path: "h", linkname: "/etc/passwd" }], /entry "h" is a hard link to "\/etc\/passwd", which is not a file of the archive/],
      };
      buildOk(context("FROM busybox\nRUN true\n"), ["-q"]); // cached from here on: the failing step alone can leave something
      for (const [name, [archive, message]] of Object.entries(hostile)) {
        const dir = context(`FROM busybox\nRUN true\nADD ${name} /into/\nRUN echo never\n`, { [name]: { data: tarOf(archive) } });
        const before = storeState();
        const r = build(dir, ["-t", "hostile"]);
        expect({ name, code: r.code }).toEqual({ name, code: 1 });
        expect(r.stderr).toMatch(/^rr: Dockerfile:3: ADD: ADD failed: archive "/);
        expect(r.stderr).toMatch(message);
        expect(storeState()).toEqual(before);
      }
      expect(sb.rr(mode, ["inspect", "hostile"]).code).toBe(1);
    });
  });

  describe("ADD of a URL", () => {
    let server: ReturnType<typeof Bun.serve>;
    let body = "first\n";
    beforeAll(() => {
      server = Bun.serve({
        hostname: "127.0.0.1", port: 0,
        fetch(req) {
          const path = new URL(req.url).pathname;
          if (path === "/files/data.txt") return new Response(body, { headers: { "Last-Modified": "Wed, 21 Oct 2015 07:28:00 GMT" } });
          if (path === "/files/pkg.tgz") return new Response(gzipSync(tarOf([{ type: "file", path: "inside", data: "x" }])));
          return new Response("no\n", { status: 404, statusText: "Not Found" });
        },
      });
    });
    afterAll(() => server?.stop(true));
    const url = (p: string) => `http://127.0.0.1:${server.port}${p}`;
    const sha256 = (s: string) => new Bun.CryptoHasher("sha256").update(s).digest("hex");

    test("downloads into DEST/ with mode 0600 and the Last-Modified time, or to a file name; archives stay archives", async () => {
      const dir = context(`FROM busybox\nADD ${url("/files/data.txt")} /dl/\nADD ${url("/files/data.txt")} /dl/renamed\nADD --chown=app --chmod=644 ${url("/files/pkg.tgz")} /dl/\n`);
      const r = await buildAsync(dir, ["-t", "addurl"]);
      expect({ code: r.code, err: r.code ? r.stderr : "" }).toEqual({ code: 0, err: "" });
      expect(run("addurl", "cd /dl && stat -c '%n %a %u %Y' data.txt renamed && stat -c '%n %a %u' pkg.tgz && cat data.txt && tar tzf pkg.tgz"))
        .toBe(`data.txt 600 0 1445412480\nrenamed 600 0 1445412480\npkg.tgz 644 ${mode === "rootless-single" ? 0 : 1000}\nfirst\ninside\n`);
    });

    test("the cache keys on the downloaded content; 404 and a wrong --checksum fail with the line", async () => {
      body = "first\n";
      const dir = context(`FROM busybox\nADD ${url("/files/data.txt")} /data.txt\nRUN cat /data.txt\n`);
      expect((await buildAsync(dir, ["-t", "urlcache"])).code).toBe(0);
      const again = await buildAsync(dir, ["-t", "urlcache"]);
      expect(cached(again.stdout).map(([, c]) => c)).toEqual([true, true]);
      body = "second\n";
      const changed = await buildAsync(dir, ["-t", "urlcache"]);
      expect(cached(changed.stdout).map(([, c]) => c)).toEqual([false, false]);
      expect(run("urlcache", "cat /data.txt")).toBe("second\n");

      const good = context(`FROM busybox\nADD --checksum=sha256:${sha256("second\n")} ${url("/files/data.txt")} /ok\n`);
      expect((await buildAsync(good, ["-q"])).code).toBe(0);
      const failures: [string, RegExp][] = [
        [`FROM busybox\nADD ${url("/files/missing")} /x\n`, /^rr: Dockerfile:2: ADD: failed to GET http:\/\/127\.0\.0\.1:\d+\/files\/missing with status 404 Not Found/],
        [`FROM busybox\nADD --checksum=sha256:${sha256("other")} ${url("/files/data.txt")} /x\n`, /^rr: Dockerfile:2: ADD: digest mismatch for http:.*expected sha256:/],
        [`FROM busybox\nADD ${url("/")} /dl/\n`, /^rr: Dockerfile:2: ADD: cannot determine filename from url/],
        [`FROM busybox\nCOPY ${url("/files/data.txt")} /x\n`, /^rr: Dockerfile:2: COPY: source can't be a URL for COPY/],
      ];
      for (const [df, message] of failures) {
        const r = await buildAsync(context(df), ["-t", "urlfail"]);
        expect({ df, code: r.code }).toEqual({ df, code: 1 });
        expect(r.stderr).toMatch(message);
      }
      expect(sb.rr(mode, ["inspect", "urlfail"]).code).toBe(1);
    });
  });

  describe("a build context on stdin", () => {
    const ctxTar = (files: Record<string, string>, extra: TarSpec[] = []) =>
      tarOf([...Object.entries(files).map(([path, data]): TarSpec => ({ type: "file", path, data, mode: 0o644 })), ...extra]);

    test("`rr build - < Dockerfile` builds with an empty context", () => {
      const out = buildOk("-", ["-t", "stdin:df"], "FROM busybox\nRUN echo from-stdin > /where\n");
      expect(out).toContain("Successfully tagged stdin:df");
      expect(run("stdin:df", "cat /where")).toBe("from-stdin\n");
      const r = build("-", [], "FROM busybox\nCOPY anything /x\n");
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^rr: Dockerfile:2: COPY: .*anything/);
    });

    test("`rr build - < context.tar[.gz|.xz]` uses the archive as the context; -f names a file in it; nothing stays in the store", () => {
      const files = { Dockerfile: "FROM busybox\nCOPY . /ctx/\nRUN cat /ctx/data.txt\n", "data.txt": "in the tar\n", "sub/other.Dockerfile": "FROM busybox\nCOPY data.txt /other\n" };
      const tar = ctxTar(files, [{ type: "dir", path: "ro/", mode: 0o555 }, { type: "file", path: "ro/f", data: "f" }]);
      const built = new Set<string>();
      for (const [name, bytes] of [["tar", tar], ["gzip", gzipSync(tar)], ["xz", compress(tar, "xz")]] as const) {
        const out = buildOk("-", ["-t", `stdin:${name}`], bytes);
        if (name === "tar") expect(out).toContain("in the tar\n");
        built.add(/Successfully built (\w+)/.exec(out)![1]!);
      }
      expect(built.size).toBe(1); // the same context, whatever its compression: the same image
      expect(run("stdin:xz", "cd /ctx && find . | sort && stat -c %a ro")).toBe(".\n./Dockerfile\n./data.txt\n./ro\n./ro/f\n./sub\n./sub/other.Dockerfile\n555\n");
      buildOk("-", ["-f", "sub/other.Dockerfile", "-t", "stdin:f"], gzipSync(tar));
      expect(run("stdin:f", "cat /other")).toBe("in the tar\n");
      expect(storeState().tmp).toEqual([]);
      const r = build("-", ["-f", "nosuch.Dockerfile"], tar);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/cannot find nosuch\.Dockerfile in the build context on stdin/);
    });

    test("a hostile context tar is refused, and its Dockerfile is read only inside it", () => {
      const secret = sb.path(`stdin-secret-${mode}`);
      writeFileSync(secret, "RUN echo host-file-read\n");
      chmodSync(secret, 0o644);
      const cases: [Uint8Array, RegExp][] = [
        [ctxTar({ Dockerfile: "FROM busybox\n", "../escape": "x" }), /entry "\.\.\/escape" points outside the context/],
        [ctxTar({ Dockerfile: "FROM busybox\n" }, [{ type: "symlink", path: "lnk", linkname: "/tmp" }, { type: "file", path: "lnk/evil", data: "x" }]), /entry "lnk\/evil" would be written through the symlink "lnk"/],
        [ctxTar({}, [{ type: "symlink", path: "Dockerfile", linkname: secret }]), /cannot find Dockerfile in the build context on stdin/],
        [gzipSync(Buffer.from("FROM busybox\n")), /compressed but is not a tar archive/],
      ];
      for (const [bytes, message] of cases) {
        const r = build("-", [], bytes);
        expect({ code: r.code, read: r.stdout.includes("host-file-read") }).toEqual({ code: 1, read: false });
        expect(r.stderr).toMatch(message);
      }
      expect(existsSync("/tmp/evil")).toBe(false);
      expect(storeState().tmp).toEqual([]);
    });

    test("-f - reads the Dockerfile from stdin with a directory context", () => {
      const dir = context("unused\n", { "f.txt": "from the directory\n" });
      buildOk(dir, ["-f", "-", "-t", "stdin:dash-f"], "FROM busybox\nCOPY f.txt /f\n");
      expect(run("stdin:dash-f", "cat /f")).toBe("from the directory\n");
      expect(build("-", ["-f", "-"], "FROM busybox\n").stderr).toMatch(/can't use stdin for both/);
    });
  });

  describe("ONBUILD", () => {
    test("the base image's triggers run right after FROM, in order, and are not passed on", () => {
      const base = context("FROM busybox\nONBUILD RUN echo triggered > /trig\nONBUILD COPY data.txt /data.txt\nONBUILD ENV FROM_TRIGGER=yes\nCMD [\"sh\"]\n");
      buildOk(base, ["-t", "onbase"]);
      expect(inspect("onbase").Config.OnBuild).toEqual(["RUN echo triggered > /trig", "COPY data.txt /data.txt", "ENV FROM_TRIGGER=yes"]);
      const child = context("FROM onbase\nRUN cat /trig /data.txt && echo $FROM_TRIGGER\n", { "data.txt": "child's own\n" });
      const out = buildOk(child, ["-t", "onchild"]);
      const lines = out.split("\n");
      expect(lines.slice(0, 2)).toEqual(["Step 1/2 : FROM onbase", "# Executing 3 build triggers"]);
      expect(out).toContain("triggered\nchild's own\nyes\n");
      expect(inspect("onchild").Config.OnBuild ?? null).toBeNull();
      expect(inspect("onbase").Config.OnBuild.length).toBe(3);
      // a grandchild runs none: the child did not inherit them
      const grand = context("FROM onchild\nRUN echo grand\n");
      expect(buildOk(grand, ["-t", "ongrand"])).not.toContain("build trigger");
      // the triggers are cached like any step
      const again = buildOk(child, ["-t", "onchild"]);
      expect(again.split("\n").filter((l) => l === " ---> Using cache").length).toBe(4);
    });

    test("a stage's own ONBUILD runs in a later stage that starts FROM it; a failing trigger names the FROM line", () => {
      const dir = context("FROM busybox AS base\nONBUILD RUN echo from-stage-trigger > /st\nFROM base\nRUN cat /st\n");
      expect(buildOk(dir, ["-t", "onstage"])).toContain("# Executing 1 build trigger\n");
      expect(run("onstage", "cat /st")).toBe("from-stage-trigger\n");
      const bad = context("FROM busybox\nONBUILD COPY missing.txt /x\n");
      buildOk(bad, ["-t", "onbad"]);
      const r = build(context("FROM busybox\nRUN true\n\nFROM onbad\nRUN true\n"), ["-t", "onbadchild"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^rr: Dockerfile:4: ONBUILD COPY: COPY failed: .*missing\.txt/);
    });
  });

  test("stages the target does not need are not built, a --from=$ARG stage included; an unknown --target fails", () => {
    const dir = context([
      "ARG SRC=good",
      "FROM busybox AS broken",
      "RUN exit 3",
      "FROM busybox AS good",
      "RUN echo good > /g",
      "FROM busybox AS unused",
      "RUN exit 4",
      "FROM busybox",
      "ARG SRC",
      "COPY --from=$SRC /g /g",
    ].join("\n") + "\n");
    const out = buildOk(dir, ["-t", "needed"]);
    expect(out).not.toContain("exit 3");
    expect(out).not.toContain("exit 4");
    expect(run("needed", "cat /g")).toBe("good\n");
    const r = build(dir, ["--target", "nosuch"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^rr: target stage "nosuch" could not be found/);
    expect(r.stdout).toBe("");
  });
});
