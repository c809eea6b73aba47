/**
 * `rr diff`, `rr commit`, `rr export` and `rr cp` from the compiled binary,
 * in each identity mode: Docker's output and copy rules, commit → run,
 * export → import → run, running containers, the copy and fuse-overlayfs
 * storage drivers, and symlinks in a container that point out of it, which
 * must never let rr read or write a host file.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { integrationSkipReason, MODES, Sandbox, userIds, type Mode } from "../helpers/rr.ts";
import { writeFixtures } from "../helpers/fixtures.ts";
import { readTar, type TarEntry } from "../../src/image/tar-reader.ts";
import { tarBytes } from "../../src/image/tar-writer.ts";
import { findHelper } from "../../src/runtime/identity.ts";

const skip = integrationSkipReason();

/** Entries (with file contents) of a tar held in memory. */
async function tarEntries(bytes: Uint8Array): Promise<(TarEntry & { text: string })[]> {
  const out: (TarEntry & { text: string })[] = [];
  for await (const { entry, body } of readTar((async function* () { yield bytes; })())) {
    const parts: Uint8Array[] = [];
    for await (const c of body) parts.push(c);
    out.push({ ...entry, text: Buffer.concat(parts).toString() });
  }
  return out;
}

function setup(mode: Mode) {
  const sb = new Sandbox();
  const f = writeFixtures(sb);
  sb.ok(mode, ["load", "-i", f.busybox]);
  sb.ok(mode, ["load", "-i", f.multi]);
  /** rr with raw stdout bytes (tar streams). */
  const raw = (args: string[], opts: { stdin?: Uint8Array; env?: Record<string, string> } = {}) => {
    const { argv, env } = sb.command(mode, args, opts.env);
    const r = Bun.spawnSync(argv, { env, cwd: sb.dir, stdin: opts.stdin ?? "ignore", stdout: "pipe", stderr: "pipe" });
    return { code: r.exitCode ?? -1, stdout: new Uint8Array(r.stdout), stderr: r.stderr.toString() };
  };
  /** A directory the mode's user may write to. */
  let n = 0;
  const hostDir = (name = `out${++n}`) => {
    const d = sb.path(name);
    mkdirSync(d, { recursive: true, mode: 0o755 });
    if (mode !== "root") chownSync(d, userIds()!.uid, userIds()!.gid);
    return d;
  };
  /** `rr run` of a container that keeps running; resolves once `ready` is in its files. */
  const startRunning = async (name: string, script: string, opts: string[] = []) => {
    const { argv, env: e } = sb.command(mode, ["run", "--name", name, ...opts, "busybox", "sh", "-c", `${script}; touch /ready; sleep 60`]);
    const proc = Bun.spawn(argv, { env: e, stdin: "ignore", stdout: "ignore", stderr: "pipe" });
    for (let i = 0; i < 200; i++) {
      if (sb.rr(mode, ["ps"]).stdout.includes(name) && sb.rr(mode, ["diff", name]).stdout.includes("A /ready")) return proc;
      await Bun.sleep(50);
    }
    proc.kill("SIGKILL");
    throw new Error(`container ${name} did not start: ${await new Response(proc.stderr).text()}`);
  };
  const stopRunning = async (proc: ReturnType<typeof Bun.spawn>, name: string) => {
    proc.kill("SIGKILL"); // its pid is rr's own (setpriv execs env execs rr)
    await proc.exited;
    sb.rr(mode, ["rm", "-f", name]);
  };
  return { sb, raw, hostDir, startRunning, stopRunning };
}

describe.skipIf(!!skip).each(MODES)(`rr diff, commit, export (%s)${skip ? ` — skipped: ${skip}` : ""}`, (mode: Mode) => {
  let t: ReturnType<typeof setup>;
  let sb: Sandbox;
  beforeAll(() => { t = setup(mode); sb = t.sb; });
  afterAll(() => sb?.cleanup());

  test("diff lists added, changed and deleted paths as docker diff does", () => {
    sb.ok(mode, ["run", "--name", "d1", "busybox", "sh", "-c",
      "echo hi > /etc/new; echo more >> /etc/passwd; rm /bin/ls; mkdir -p /tmp/a/b; touch /tmp/a/b/c"]);
    expect(sb.ok(mode, ["diff", "d1"])).toBe([
      "C /bin", "D /bin/ls", "C /etc", "A /etc/new", "C /etc/passwd", "C /tmp", "A /tmp/a", "A /tmp/a/b", "A /tmp/a/b/c",
    ].join("\n") + "\n");
  });

  test("diff of an untouched container is empty: rr's own mount points do not count", () => {
    sb.ok(mode, ["run", "--name", "d0", "busybox", "true"]);
    expect(sb.ok(mode, ["diff", "d0"])).toBe("");
  });

  test("a directory removed and made again hides the image's: diff, then commit and run", () => {
    sb.ok(mode, ["run", "--name", "opq", "multi", "sh", "-c", "rm -rf /data/opq && mkdir /data/opq && echo n > /data/opq/n"]);
    expect(sb.ok(mode, ["diff", "opq"])).toBe("C /data\nC /data/opq\nD /data/opq/c\nA /data/opq/n\n");
    sb.ok(mode, ["commit", "opq", "opq:1"]);
    expect(sb.ok(mode, ["run", "--rm", "opq:1", "ls", "/data/opq"])).toBe("n\n");
  });

  test("commit makes one new layer; the image runs with the additions and the deletions", () => {
    sb.ok(mode, ["run", "--name", "cm", "busybox", "sh", "-c", "echo committed > /etc/new; rm /etc/group"]);
    const id = sb.ok(mode, ["commit", "-m", "a message", "-a", "Jane <j@x>", "cm", "cimg:1"]);
    expect(id).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect(sb.ok(mode, ["run", "--rm", "cimg:1", "sh", "-c", "cat /etc/new; test -e /etc/group || echo gone"])).toBe("committed\ngone\n");
    expect(sb.ok(mode, ["images"])).toMatch(new RegExp(`cimg\\s+1\\s+${id.slice(7, 19)}`));
    const history = sb.ok(mode, ["history", "--no-trunc", "cimg:1"]).split("\n");
    expect(history[1]).toContain("sh -c echo committed > /etc/new; rm /etc/group");
    expect(history[1]).toContain("a message");
    const [img] = JSON.parse(sb.ok(mode, ["inspect", "cimg:1"]));
    const [base] = JSON.parse(sb.ok(mode, ["inspect", "busybox"]));
    expect(img.RootFS.Layers).toEqual([...base.RootFS.Layers, expect.stringMatching(/^sha256:/)]);
    expect(img.Author).toBe("Jane <j@x>");
    expect(img.Config.Cmd).toEqual(["sh", "-c", "echo committed > /etc/new; rm /etc/group"]);
  });

  test("commit -c sets CMD, ENV, WORKDIR and LABEL of the new image", () => {
    sb.ok(mode, ["commit", "-c", 'CMD ["cat", "/etc/new"]', "-c", "ENV FOO=bar", "-c", "WORKDIR /tmp", "-c", "LABEL k=v", "cm", "cimg:2"]);
    expect(sb.ok(mode, ["run", "--rm", "cimg:2"])).toBe("committed\n");
    expect(sb.ok(mode, ["run", "--rm", "cimg:2", "sh", "-c", "echo $FOO; pwd"])).toBe("bar\n/tmp\n");
    expect(JSON.parse(sb.ok(mode, ["inspect", "cimg:2"]))[0].Config.Labels).toEqual({ k: "v" });
  });

  test("commit without changes adds no layer, only history", () => {
    sb.ok(mode, ["run", "--name", "nochange", "busybox", "true"]);
    sb.ok(mode, ["commit", "nochange", "same:1"]);
    const [img] = JSON.parse(sb.ok(mode, ["inspect", "same:1"]));
    const [base] = JSON.parse(sb.ok(mode, ["inspect", "busybox"]));
    expect(img.RootFS.Layers).toEqual(base.RootFS.Layers);
    expect(sb.ok(mode, ["history", "same:1"]).split("\n")[1]).toMatch(/\s0B(\s|$)/);
  });

  test("commit of a running container takes its files as they are", async () => {
    const p = await t.startRunning("live", "echo live > /live");
    try {
      sb.ok(mode, ["commit", "live", "fromlive:1"]);
      // Paused while its files were read (Docker's default), running again after.
      expect(sb.ok(mode, ["ps", "--format", "{{.Names}} {{.Status}}"])).toMatch(/^live Up [^\n(]*$/m);
      sb.ok(mode, ["commit", "--pause=false", "live", "fromlive:2"]);
    } finally {
      await t.stopRunning(p, "live");
    }
    expect(sb.ok(mode, ["run", "--rm", "fromlive:1", "cat", "/live"])).toBe("live\n");
  });

  test("export → import → run round trip, owners as the container sees them", async () => {
    sb.ok(mode, ["run", "--name", "ex", "multi", "sh", "-c", "echo exported > /etc/new; rm /etc/passwd"]);
    const r = t.raw(["export", "ex"]);
    expect(r.code).toBe(0);
    const entries = await tarEntries(r.stdout);
    const names = entries.map((e) => e.path);
    expect(names).toContain("etc/new");
    expect(names).toContain("bin/busybox");
    expect(names).not.toContain("etc/passwd");
    expect(names).not.toContain("etc/removed"); // deleted by the image's own second layer
    expect(entries.find((e) => e.path === "data/owned1000")!.uid).toBe(mode === "rootless-single" ? 0 : 1000);
    // data/hard and data/keep are one inode: the second name walked is a link to the first.
    expect(entries.find((e) => e.path === "data/keep")).toMatchObject({ type: "hardlink", linkname: "data/hard" });
    const id = sb.ok(mode, ["import", "-", "roundtrip:1"], { stdin: r.stdout }).trim();
    expect(id).toMatch(/^sha256:/);
    expect(sb.ok(mode, ["run", "--rm", "roundtrip:1", "sh", "-c", "cat /etc/new; test -e /etc/passwd || echo nopasswd"])).toBe("exported\nnopasswd\n");
  });

  test("export -o writes the file; an unknown container leaves none", () => {
    const dir = t.hostDir();
    sb.ok(mode, ["export", "-o", join(dir, "ex.tar"), "ex"]);
    expect(statSync(join(dir, "ex.tar")).size).toBeGreaterThan(1024 * 1024);
    const bad = sb.rr(mode, ["export", "-o", join(dir, "bad.tar"), "nosuch"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe("rr: No such container: nosuch\n");
    expect(readdirSync(dir)).toEqual(["ex.tar"]);
  });

  test("export refuses to write to a terminal", () => {
    const { argv, env } = sb.command(mode, ["export", "ex"]);
    const line = ["env", ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv].map((a) => `'${a}'`).join(" ");
    const p = Bun.spawnSync(["script", "-qec", line, "/dev/null"], { stdin: "ignore", stdout: "pipe" });
    expect(p.stdout.toString()).toContain("rr: cowardly refusing to save to a terminal. Use the -o flag or redirect");
    expect(p.exitCode).toBe(1);
  });

  test("errors: unknown container, bad arguments; a failed commit leaves no image and no blob", () => {
    for (const args of [["diff", "nosuch"], ["commit", "nosuch"], ["export", "nosuch"], ["cp", "nosuch:/etc", "-"]]) {
      const r = t.raw(args);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe("rr: No such container: nosuch\n");
    }
    expect(sb.rr(mode, ["diff"]).code).toBe(1);
    const blobs = join(sb.storeRoot(mode), "blobs", "sha256");
    const before = readdirSync(blobs).sort();
    const images = sb.ok(mode, ["images", "-q"]);
    const bad = sb.rr(mode, ["commit", "-c", "RUN echo no", "cm", "bad:1"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("run is not a valid change command");
    expect(sb.rr(mode, ["commit", "cm", "Bad:Name"]).code).toBe(1);
    expect(sb.rr(mode, ["commit", "nosuch", "bad:2"]).code).toBe(1);
    // Fails while the layer is made: a name that would be a whiteout in the layer.
    sb.ok(mode, ["run", "--name", "whname", "busybox", "touch", "/tmp/.wh.x"]);
    const wh = sb.rr(mode, ["commit", "whname", "bad:3"]);
    expect(wh.code).toBe(1);
    expect(wh.stderr).toContain('cannot commit /tmp/.wh.x: in an image layer a name starting with ".wh." marks a deleted file');
    expect(readdirSync(blobs).sort()).toEqual(before);
    expect(sb.ok(mode, ["images", "-q"])).toBe(images);
    expect(readdirSync(join(sb.storeRoot(mode), "tmp"))).toEqual([]);
  });
});

describe.skipIf(!!skip).each(MODES)(`rr cp (%s)${skip ? ` — skipped: ${skip}` : ""}`, (mode: Mode) => {
  let t: ReturnType<typeof setup>;
  let sb: Sandbox;
  const me = () => (mode === "root" ? 0 : userIds()!.uid);
  beforeAll(() => {
    t = setup(mode);
    sb = t.sb;
    sb.ok(mode, ["run", "--name", "src", "busybox", "sh", "-c",
      // rootless-single maps no id 1000: that chown fails and /d/one stays root's
      "mkdir -p /d/sub && echo one > /d/one && echo two > /d/sub/two && ln -s one /d/link; chown 1000:1000 /d/one 2>/dev/null; true"]);
  });
  afterAll(() => sb?.cleanup());

  test("out: a file to a new name, into a directory, and a dir, dir/. and -", async () => {
    const out = t.hostDir();
    sb.ok(mode, ["cp", "src:/d/one", join(out, "renamed")]);
    sb.ok(mode, ["cp", "src:/d/one", out]);
    sb.ok(mode, ["cp", "src:/d", join(out, "newdir")]);
    sb.ok(mode, ["cp", "src:/d", out]);
    mkdirSync(join(out, "contents"));
    if (mode !== "root") chownSync(join(out, "contents"), me(), me());
    sb.ok(mode, ["cp", "src:/d/.", join(out, "contents")]);
    expect(readFileSync(join(out, "renamed"), "utf8")).toBe("one\n");
    expect(readFileSync(join(out, "one"), "utf8")).toBe("one\n");
    expect(readFileSync(join(out, "newdir/sub/two"), "utf8")).toBe("two\n");
    expect(readFileSync(join(out, "d/sub/two"), "utf8")).toBe("two\n");
    expect(readdirSync(join(out, "contents")).sort()).toEqual(["link", "one", "sub"]);
    expect(lstatSync(join(out, "d/link")).isSymbolicLink()).toBe(true);
    // Copied out files belong to whoever ran rr, as with Docker.
    expect(statSync(join(out, "one")).uid).toBe(me());
    const r = t.raw(["cp", "src:/d", "-"]);
    expect(r.code).toBe(0);
    const entries = await tarEntries(r.stdout);
    expect(entries.map((e) => e.path).sort()).toEqual(["d/", "d/link", "d/one", "d/sub/", "d/sub/two"]);
    expect(entries.find((e) => e.path === "d/one")!.uid).toBe(mode === "rootless-single" ? 0 : 1000);
  });

  test("out: -L follows a final symlink; errors for a missing path and a missing directory", () => {
    const out = t.hostDir();
    sb.ok(mode, ["cp", "-L", "src:/d/link", out]);
    expect(lstatSync(join(out, "link")).isFile()).toBe(true);
    const missing = sb.rr(mode, ["cp", "src:/nope", out]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe("rr: Could not find the file /nope in container src\n");
    const nodir = sb.rr(mode, ["cp", "src:/d/one", join(out, "nodir") + "/"]);
    expect(nodir.code).toBe(1);
    expect(nodir.stderr).toContain("no such directory");
    const dirOnFile = sb.rr(mode, ["cp", "src:/d", join(out, "link")]);
    expect(dirOnFile.code).toBe(1);
    expect(dirOnFile.stderr).toContain("cannot copy directory");
  });

  test("in: files and directories land as Docker puts them, owned by the container's root", async () => {
    const host = t.hostDir();
    writeFileSync(join(host, "f.txt"), "from host\n");
    mkdirSync(join(host, "tree/deep"), { recursive: true });
    writeFileSync(join(host, "tree/deep/x"), "x\n");
    Bun.spawnSync(["chmod", "-R", "a+rX", host]);
    sb.ok(mode, ["run", "--name", "dst", "busybox", "true"]);
    sb.ok(mode, ["cp", join(host, "f.txt"), "dst:/etc/"]);
    sb.ok(mode, ["cp", join(host, "f.txt"), "dst:/renamed.txt"]);
    sb.ok(mode, ["cp", join(host, "tree"), "dst:/opt"]);
    sb.ok(mode, ["cp", join(host, "tree") + "/.", "dst:/tmp"]);
    expect(sb.ok(mode, ["diff", "dst"])).toBe([
      "C /etc", "A /etc/f.txt", "A /opt", "A /opt/deep", "A /opt/deep/x", "A /renamed.txt", "C /tmp", "A /tmp/deep", "A /tmp/deep/x",
    ].join("\n") + "\n");
    const entries = await tarEntries(t.raw(["cp", "dst:/etc/f.txt", "-"]).stdout);
    expect(entries[0]).toMatchObject({ path: "f.txt", uid: 0, gid: 0, text: "from host\n" });
    const nodir = sb.rr(mode, ["cp", join(host, "f.txt"), "dst:/no/such/dir/"]);
    expect(nodir.code).toBe(1);
    expect(nodir.stderr).toContain("Could not find the file /no/such/dir/ in container dst");
  });

  test.skipIf(mode === "root")("in: a host file rr may not read fails the copy with its name, and nothing waits forever (root reads every file)", () => {
    const host = t.hostDir();
    mkdirSync(join(host, "d"));
    writeFileSync(join(host, "d/secret"), "s");
    chmodSync(join(host, "d/secret"), 0o600); // owned by root, not by the test user
    chmodSync(join(host, "d"), 0o755);
    const r = sb.rr(mode, ["cp", join(host, "d"), "dst:/tmp/"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot read "d/secret": Permission denied');
  });

  test("in: - extracts a tar from stdin into a directory; -a keeps the archive's ids", async () => {
    const tar = tarBytes([{ type: "dir", path: "t/", uid: 1234, gid: 1234 }, { type: "file", path: "t/f", data: "tarred\n", uid: 1234, gid: 1234 }]);
    expect(t.raw(["cp", "-", "dst:/srv"], { stdin: tar }).code).toBe(1); // /srv does not exist
    expect(t.raw(["cp", "-", "dst:/tmp"], { stdin: tar }).code).toBe(0);
    expect(t.raw(["cp", "-a", "-", "dst:/root"], { stdin: tar }).code).toBe(0);
    const plain = await tarEntries(t.raw(["cp", "dst:/tmp/t/f", "-"]).stdout);
    expect(plain[0]).toMatchObject({ text: "tarred\n", uid: 0 });
    const kept = await tarEntries(t.raw(["cp", "dst:/root/t/f", "-"]).stdout);
    expect(kept[0]!.uid).toBe(mode === "rootless-single" ? 0 : 1234); // an id the namespace cannot map stays root's
    const onFile = t.raw(["cp", "-", "dst:/etc/passwd"], { stdin: tar });
    expect(onFile.code).toBe(1);
    expect(onFile.stderr).toContain('destination "dst:/etc/passwd" must be a directory');
  });

  test("bad CONTAINER:PATH arguments are refused", () => {
    for (const [args, msg] of [
      [[":/x", "."], 'invalid container path ":/x"'],
      [["src:", "."], 'invalid container path "src:"'],
      [["src:/a", "src:/b"], "copying between containers is not supported"],
      [["/etc/hosts", "."], "must specify at least one container source"],
      [["src:/a"], '"rr cp" requires exactly 2 arguments'],
    ] as const) {
      const r = sb.rr(mode, ["cp", ...args]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(msg);
    }
  });

  describe("symlinks in the container that point out of it", () => {
    let hostDir: string;
    beforeAll(() => {
      hostDir = t.hostDir("victim");
      writeFileSync(join(hostDir, "secret"), "HOST SECRET\n");
      chmodSync(join(hostDir, "secret"), 0o644);
      sb.ok(mode, ["run", "--name", "evil", "busybox", "sh", "-c",
        `ln -s / /evil && ln -s ../../../../../../.. /rel && ln -s ${hostDir} /abs && ln -s ${hostDir}/secret /absfile && mkdir /box`]);
    });
    const hostUntouched = () => {
      expect(readdirSync(hostDir)).toEqual(["secret"]);
      expect(readFileSync(join(hostDir, "secret"), "utf8")).toBe("HOST SECRET\n");
    };

    test("reading through them finds the container's files, never the host's", () => {
      const out = t.hostDir();
      for (const path of [`/evil${hostDir}/secret`, `/rel${hostDir}/secret`, "/abs/secret", "/box/../../..//abs/secret"]) {
        const r = t.raw(["cp", `evil:${path}`, "-"]);
        expect(r.code).toBe(1);
        expect(r.stderr).toBe(`rr: Could not find the file ${path} in container evil\n`);
      }
      expect(sb.rr(mode, ["cp", "-L", "evil:/absfile", out]).code).toBe(1);
      expect(readdirSync(out)).toEqual([]);
      // Through / inside the container: the container's own /etc/passwd.
      expect(Buffer.from(t.raw(["cp", "evil:/rel/etc/passwd", "-"]).stdout).toString()).toContain("app:x:1000");
      // Without -L the link itself is copied, as a link.
      sb.ok(mode, ["cp", "evil:/abs", out]);
      expect(lstatSync(join(out, "abs")).isSymbolicLink()).toBe(true);
      hostUntouched();
    });

    test("writing through them stays inside the container", async () => {
      const src = t.hostDir();
      writeFileSync(join(src, "planted"), "planted\n");
      chmodSync(join(src, "planted"), 0o644);
      for (const dest of [`/evil${hostDir}/`, `/rel${hostDir}/`, "/abs/", "/abs/planted", "/absfile"]) {
        expect(sb.rr(mode, ["cp", join(src, "planted"), `evil:${dest}`]).code).toBe(1);
      }
      hostUntouched();
      // Made real inside the container, the same paths receive the file there.
      sb.ok(mode, ["cp", "-", `evil:/`], { stdin: tarBytes([{ type: "dir", path: hostDir.slice(1) + "/" }]) });
      sb.ok(mode, ["cp", join(src, "planted"), "evil:/abs/"]);
      sb.ok(mode, ["cp", join(src, "planted"), `evil:/rel${hostDir}/again`]);
      const r = await tarEntries(t.raw(["cp", `evil:${hostDir}`, "-"]).stdout);
      expect(r.map((e) => e.path).sort()).toEqual(["victim/", "victim/again", "victim/planted"]);
      hostUntouched();
    });

    test("an archive cannot write through a symlink or climb out with ..", () => {
      const through = tarBytes([
        { type: "symlink", path: "link", linkname: hostDir },
        { type: "file", path: "link/pwned", data: "x" },
      ]);
      const r = t.raw(["cp", "-", "evil:/box"], { stdin: through });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("symbolic link");
      const climb = t.raw(["cp", "-", "evil:/box"], { stdin: tarBytes([{ type: "file", path: `../../../..${hostDir}/pwned`, data: "x" }]) });
      expect(climb.code).toBe(1);
      expect(climb.stderr).toContain("leads outside the destination");
      hostUntouched();
    });

    test("a running container: the same, both directions", async () => {
      const p = await t.startRunning("evil-live", `ln -s / /evil; ln -s ${hostDir} /abs`);
      try {
        const src = t.hostDir();
        writeFileSync(join(src, "planted"), "planted\n");
        chmodSync(join(src, "planted"), 0o644);
        expect(t.raw(["cp", `evil-live:/evil${hostDir}/secret`, "-"]).code).toBe(1);
        expect(t.raw(["cp", "evil-live:/abs/secret", "-"]).code).toBe(1);
        expect(sb.rr(mode, ["cp", join(src, "planted"), "evil-live:/abs/"]).code).toBe(1);
        expect(sb.rr(mode, ["cp", join(src, "planted"), `evil-live:/evil${hostDir}/`]).code).toBe(1);
        hostUntouched();
      } finally {
        await t.stopRunning(p, "evil-live");
      }
    });
  });

  test("a running container: copies in and out, its mounts included", async () => {
    const p = await t.startRunning("run1", "echo running > /r", ["-h", "livehost"]);
    try {
      expect((await tarEntries(t.raw(["cp", "run1:/r", "-"]).stdout))[0]!.text).toBe("running\n");
      const host = t.hostDir();
      writeFileSync(join(host, "in"), "into running\n");
      chmodSync(join(host, "in"), 0o644);
      sb.ok(mode, ["cp", join(host, "in"), "run1:/tmp/"]);
      expect((await tarEntries(t.raw(["cp", "run1:/tmp/in", "-"]).stdout))[0]).toMatchObject({ text: "into running\n", uid: 0 });
      // /etc/hostname is rr's bind mount in the running container: its content, not the placeholder.
      expect((await tarEntries(t.raw(["cp", "run1:/etc/hostname", "-"]).stdout))[0]!.text).toBe("livehost\n");
    } finally {
      await t.stopRunning(p, "run1");
    }
  });
});

const DRIVERS = ["copy", ...(findHelper("fuse-overlayfs") && existsSync("/dev/fuse") ? ["fuse-overlayfs"] : [])];

describe.skipIf(!!skip).each(MODES.flatMap((m) => DRIVERS.map((d) => [m, d] as const)))(
  `container files with the %s mode and the %s driver${skip ? ` — skipped: ${skip}` : ""}`,
  (mode: Mode, driver: string) => {
    let t: ReturnType<typeof setup>;
    let sb: Sandbox;
    const env = { RR_STORAGE_DRIVER: driver };
    beforeAll(() => {
      t = setup(mode);
      sb = t.sb;
      sb.ok(mode, ["run", "--name", "c", "multi", "sh", "-c",
        "echo hi > /etc/new; rm /etc/passwd; chmod 700 /tmp; rm -rf /data/opq; mkdir /data/opq; echo n > /data/opq/n; ln -s / /evil"], { env });
    });
    afterAll(() => sb?.cleanup());

    test("diff compares with the image: type, mode, content, deletions", () => {
      expect(sb.ok(mode, ["diff", "c"])).toBe([
        "C /data", "C /data/opq", "D /data/opq/c", "A /data/opq/n", "C /etc", "A /etc/new", "D /etc/passwd", "A /evil", "C /tmp",
      ].join("\n") + "\n");
    });

    test("commit, then run the image", () => {
      sb.ok(mode, ["commit", "c", `drv-${driver}:1`]);
      expect(sb.ok(mode, ["run", "--rm", `drv-${driver}:1`, "sh", "-c", "cat /etc/new; ls /data/opq; test -e /etc/passwd || echo gone; stat -c %a /tmp"]))
        .toBe("hi\nn\ngone\n700\n");
    });

    test("cp both ways and export", async () => {
      const host = t.hostDir();
      writeFileSync(join(host, "f"), "f\n");
      chmodSync(join(host, "f"), 0o644);
      sb.ok(mode, ["cp", join(host, "f"), "c:/data/opq/"]);
      sb.ok(mode, ["cp", "c:/data/opq", host]);
      expect(readdirSync(join(host, "opq")).sort()).toEqual(["f", "n"]);
      expect(sb.rr(mode, ["cp", join(host, "f"), `c:/evil${host}/`]).code).toBe(1);
      expect(readdirSync(host).sort()).toEqual(["f", "opq"]);
      const entries = await tarEntries(t.raw(["export", "c"]).stdout);
      expect(entries.map((e) => e.path).filter((p) => p.startsWith("data/opq/")).sort()).toEqual(["data/opq/", "data/opq/f", "data/opq/n"]);
    });
  },
);
