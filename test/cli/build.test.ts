/**
 * `rr build` from the compiled binary, in each identity mode: the seed's
 * example, the image config and history, multi-stage builds and --target,
 * the layer cache, .dockerignore, COPY --chown, heredocs, parser edge cases,
 * failures that leave nothing behind, and the flags (-q, --iidfile, -t,
 * --label, --network, --no-cache), signals, symlinks in the context and the
 * image, the layer limit. COPY --from, ADD of archives and URLs,
 * a context on stdin and ONBUILD are tested with their own work.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { integrationSkipReason, MODES, Sandbox, userIds, type Mode } from "../helpers/rr.ts";
import { writeFixtures } from "../helpers/fixtures.ts";
import { BUSYBOX } from "../fixtures/images.ts";
import { chunked, readAll, text, type ReadEntry } from "../image/tar-helpers.ts";

const skip = integrationSkipReason();
const readProc = (path: string) => { try { return readFileSync(path, "utf8"); } catch { return ""; } };

/** A context file: text, or text with a mode, or a symlink. */
type Spec = string | { data: string | Uint8Array; mode?: number } | { symlink: string };

interface Step {
  n: number;
  total: number;
  text: string;
  cached: boolean;
  /** the short id the step ended with */
  id?: string;
}

/** The classic builder's output as steps: `Step N/M : TEXT`, then ` ---> Using cache` and/or ` ---> <id>`. */
function steps(out: string): Step[] {
  const result: Step[] = [];
  for (const line of out.split("\n")) {
    const m = /^Step (\d+)\/(\d+) : (.*)$/.exec(line);
    if (m) { result.push({ n: Number(m[1]), total: Number(m[2]), text: m[3]!, cached: false }); continue; }
    const cur = result.at(-1);
    if (!cur) continue;
    if (line === " ---> Using cache") cur.cached = true;
    const id = /^ ---> ([0-9a-f]{12})$/.exec(line);
    if (id) cur.id = id[1];
  }
  return result;
}

/** Whether each non-FROM step was cached, keyed by its text. */
const cacheMap = (out: string): (string | boolean)[][] => steps(out).filter((s) => !/^FROM /i.test(s.text)).map((s) => [s.text, s.cached]);

describe.skipIf(!!skip).each(MODES)(`rr build (%s)${skip ? ` — skipped: ${skip}` : ""}`, (mode: Mode) => {
  let sb: Sandbox;
  let nctx = 0;

  /** A build context owned by the mode's user, so rootless rr reads files whatever their modes. */
  const context = (dockerfile: string, files: Record<string, Spec> = {}): string => {
    const dir = sb.path(`ctx-${++nctx}`);
    mkdirSync(dir, { mode: 0o755 });
    writeFileSync(join(dir, "Dockerfile"), dockerfile);
    for (const [name, spec] of Object.entries(files)) write(dir, name, spec);
    if (mode !== "root") chownTree(dir);
    return dir;
  };
  const write = (dir: string, name: string, spec: Spec) => {
    const p = join(dir, name);
    mkdirSync(dirname(p), { recursive: true, mode: 0o755 });
    rmSync(p, { force: true });
    if (typeof spec === "string") writeFileSync(p, spec);
    else if ("symlink" in spec) symlinkSync(spec.symlink, p);
    else { writeFileSync(p, spec.data); chmodSync(p, spec.mode ?? 0o644); }
    if (mode !== "root") chownTree(dirname(p));
  };
  const chownTree = (p: string) => {
    const { uid, gid } = userIds()!;
    Bun.spawnSync(["chown", "-hR", `${uid}:${gid}`, p]);
  };

  /** `rr build`, killed after 60 s so a hung step fails its test instead of the whole file's timeout. */
  const build = (dir: string, args: string[] = []) => {
    const { argv, env } = sb.command(mode, ["build", ...args, dir]);
    const r = Bun.spawnSync(argv, { env, cwd: sb.dir, stdin: "ignore", stdout: "pipe", stderr: "pipe", timeout: 60_000, killSignal: "SIGKILL" });
    let stderr = r.stderr.toString();
    if (r.exitedDueToTimeout) {
      const left = removeLeftovers(); // its RUN container must not fail the tests after this one
      stderr += `(test: rr build hung for 60 s and was killed; removed its containers: ${left.replace(/\n/g, " ") || "none"})\n`;
    }
    return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr };
  };
  const buildOk = (dir: string, args: string[] = []): string => {
    const r = build(dir, args);
    if (r.code !== 0) throw new Error(`rr build ${args.join(" ")} exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    return r.stdout;
  };
  /** Removes containers a killed build left, so one failure does not fail the tests after it. */
  const removeLeftovers = () => {
    const left = sb.ok(mode, ["ps", "-a", "-q"]).trim();
    if (!left) return left;
    // a monitor that never saw its container exit outlives `rm -f`: end it (this test started it)
    for (const id of left.split("\n")) {
      const pid = Number(sb.rr(mode, ["inspect", "--format", "{{.State.Pid}}", id]).stdout.trim());
      const stat = pid > 0 ? readProc(`/proc/${pid}/stat`) : "";
      const monitor = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z") && readProc(`/proc/${monitor}/cmdline`).includes("rr-monitor")) {
        try { process.kill(monitor, "SIGKILL"); } catch { /* gone already */ }
      }
    }
    sb.rr(mode, ["rm", "-f", ...left.split("\n")]);
    return left;
  };
  const run = (image: string, args: string[] = []) => sb.ok(mode, ["run", "--rm", image, ...args]);
  const inspect = (image: string) => JSON.parse(sb.ok(mode, ["inspect", image]))[0];
  /** History, newest first: created_by and size in bytes. */
  const history = (image: string) =>
    sb.ok(mode, ["history", "--no-trunc", "--human=false", "--format", "{{.CreatedBy}}\t{{.Size}}", image])
      .trimEnd().split("\n").map((l) => { const [createdBy, size] = l.split("\t"); return { createdBy: createdBy!, size: Number(size) }; });
  /** A directory the mode's user may write to (for -o, --iidfile). */
  const workDir = (name: string): string => {
    const d = sb.path(`out-${name}`);
    mkdirSync(d, { mode: 0o755 });
    if (mode !== "root") chownSync(d, userIds()!.uid, userIds()!.gid);
    return d;
  };
  const storeEntries = (sub: string) => { try { return readdirSync(join(sb.storeRoot(mode), sub)); } catch { return []; } };
  const ids = /^sha256:[0-9a-f]{64}$/;

  beforeAll(() => {
    sb = new Sandbox();
    const f = writeFixtures(sb);
    sb.ok(mode, ["load", "-i", f.busybox]);
  });
  afterAll(() => sb?.cleanup());

  test("the seed's example (FROM, MAINTAINER, RUN, EXPOSE, ADD, CMD) builds, runs and shows its history", () => {
    const dir = context([
      "FROM busybox",
      "MAINTAINER Jane Doe <jane@example.com>",
      "RUN mkdir -p /www && echo 'made by RUN' > /www/run.txt",
      "EXPOSE 8080",
      "ADD index.html /www/index.html",
      'CMD ["cat", "/www/index.html", "/www/run.txt"]',
    ].join("\n") + "\n", { "index.html": "<h1>hello</h1>\n" });
    const out = buildOk(dir, ["-t", "seed"]);
    const s = steps(out);
    expect(s.map((x) => `${x.n}/${x.total} ${x.text}`)).toEqual([
      "1/6 FROM busybox", "2/6 MAINTAINER Jane Doe <jane@example.com>", "3/6 RUN mkdir -p /www && echo 'made by RUN' > /www/run.txt",
      "4/6 EXPOSE 8080", "5/6 ADD index.html /www/index.html", '6/6 CMD ["cat", "/www/index.html", "/www/run.txt"]',
    ]);
    expect(s.every((x) => x.id)).toBe(true);
    expect(out).toMatch(/ ---> Running in [0-9a-f]{12}\n/);
    expect(out).toMatch(/Removing intermediate container [0-9a-f]{12}\n/);
    const id = inspect("seed").Id as string;
    expect(out.endsWith(`Successfully built ${id.slice(7, 19)}\nSuccessfully tagged seed:latest\n`)).toBe(true);
    expect(s.at(-1)!.id).toBe(id.slice(7, 19));

    expect(run("seed")).toBe("<h1>hello</h1>\nmade by RUN\n");
    const img = inspect("seed");
    expect(img.Author).toBe("Jane Doe <jane@example.com>");
    expect(img.Config.ExposedPorts).toEqual({ "8080/tcp": {} });
    expect(img.Config.Cmd).toEqual(["cat", "/www/index.html", "/www/run.txt"]);
    expect(img.RootFS.Layers.length).toBe(inspect("busybox").RootFS.Layers.length + 2); // RUN and ADD

    const h = history("seed");
    expect(h.length).toBe(history("busybox").length + 5); // one entry per instruction after FROM
    const mine = h.slice(0, 5);
    expect(mine[0]!.createdBy).toMatch(/CMD \["cat","\/www\/index.html","\/www\/run.txt"\]/);
    expect(mine[1]!.createdBy).toMatch(/ADD .* in \/www\/index.html/);
    expect(mine[2]!.createdBy).toMatch(/EXPOSE 8080/);
    expect(mine[3]!.createdBy).toContain("mkdir -p /www && echo 'made by RUN' > /www/run.txt");
    expect(mine[4]!.createdBy).toMatch(/MAINTAINER Jane Doe <jane@example.com>/);
    expect(mine.map((e) => e.size > 0)).toEqual([false, true, false, true, false]);
    // intermediate images stay out of `rr images`, as Docker's do
    const listed = sb.ok(mode, ["images", "--format", "{{.Repository}}:{{.Tag}}"]).trim().split("\n").sort();
    expect(listed).toEqual(["busybox:latest", "seed:latest"]);
  });

  test("the image carries Env, Cmd, Entrypoint, WorkingDir, User, ExposedPorts, Volumes, Labels, StopSignal, Healthcheck", () => {
    const dir = context([
      "ARG BASE=busybox",
      "FROM ${BASE}:latest",
      "ENV GREETING=\"hello world\" A=1",
      "ENV B=${A:-x}-${UNSET:-dflt}-${A:+set}-${UNSET:+nope} C=\\$A",
      "WORKDIR /app",
      "WORKDIR sub",
      "USER app",
      "EXPOSE 80 53/udp 8000-8001/tcp",
      'VOLUME ["/data", "/logs"]',
      'LABEL org.example.name="my app" version=2',
      "STOPSIGNAL SIGUSR1",
      "HEALTHCHECK --interval=30s --timeout=5s --start-period=2s --retries=4 CMD wget -q localhost || exit 1",
      'ENTRYPOINT ["/bin/echo", "ep"]',
      'CMD ["default-arg"]',
    ].join("\n") + "\n");
    buildOk(dir, ["-t", "cfg:1"]);
    const c = inspect("cfg:1").Config;
    expect(c.Env).toEqual([
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "GREETING=hello world", "A=1", "B=1-dflt-set-", "C=$A",
    ]);
    expect(c.Entrypoint).toEqual(["/bin/echo", "ep"]);
    expect(c.Cmd).toEqual(["default-arg"]);
    expect(c.WorkingDir).toBe("/app/sub");
    expect(c.User).toBe("app");
    expect(c.ExposedPorts).toEqual({ "80/tcp": {}, "53/udp": {}, "8000/tcp": {}, "8001/tcp": {} });
    expect(c.Volumes).toEqual({ "/data": {}, "/logs": {} });
    expect(c.Labels).toEqual({ "org.example.name": "my app", version: "2" });
    expect(c.StopSignal).toBe("SIGUSR1");
    expect(c.Healthcheck).toEqual({
      Test: ["CMD-SHELL", "wget -q localhost || exit 1"], Interval: 30e9, Timeout: 5e9, StartPeriod: 2e9, Retries: 4,
    });
    // rootless-single maps only root: USER app cannot run there (rr says so), -u 0 can
    const asUser = mode === "rootless-single" ? ["-u", "0"] : [];
    expect(sb.ok(mode, ["run", "--rm", ...asUser, "cfg:1"])).toBe("ep default-arg\n");
    expect(sb.ok(mode, ["run", "--rm", ...asUser, "cfg:1", "x", "y"])).toBe("ep x y\n");
    expect(sb.ok(mode, ["run", "--rm", ...asUser, "--entrypoint", "sh", "cfg:1", "-c", "id -un; pwd; echo $GREETING $B"]))
      .toBe(`${mode === "rootless-single" ? "root" : "app"}\n/app/sub\nhello world 1-dflt-set-\n`);
  });

  test("RUN sees ENV, WORKDIR (created if missing), USER and SHELL; build args only while building", () => {
    // rootless-single maps only root: there a RUN as app fails, and says why
    const user = mode === "rootless-single" ? "root" : "app";
    const dir = context([
      "FROM busybox",
      "ARG SECRET=s3",
      "ENV WHERE=env-value",
      "WORKDIR /made/by/workdir",
      "RUN pwd > /pwd.txt && echo \"$WHERE $SECRET\" > /env.txt",
      `USER ${user}`,
      "RUN id -un > /tmp/who",
      "USER root",
      'SHELL ["/bin/sh", "-ec"]',
      "RUN echo \"$-\" > /shell-flags",
    ].join("\n") + "\n");
    buildOk(dir, ["-t", "runenv"]);
    expect(run("runenv", ["sh", "-c", "cat /pwd.txt /env.txt /tmp/who; case $(cat /shell-flags) in *e*) echo errexit;; esac; echo ${SECRET:-unset}"]))
      .toBe(`/made/by/workdir\nenv-value s3\n${user}\nerrexit\nunset\n`);
    expect(inspect("runenv").Config.Env).not.toContain("SECRET=s3");
  });

  test.if(mode === "rootless-single")("rootless-single: a RUN as a user the namespace cannot map fails with the line and the reason", () => {
    const dir = context("FROM busybox\nUSER app\nRUN id\n");
    const r = build(dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^rr: Dockerfile:3: RUN: user 1000:1000 is not mapped/);
    expect(sb.ok(mode, ["ps", "-a", "-q"])).toBe("");
  });

  test("FROM scratch with a COPY makes an image of just that file", () => {
    const dir = context('FROM scratch\nCOPY busybox /busybox\nCMD ["/busybox", "echo", "from scratch"]\n');
    copyFileSync(BUSYBOX, join(dir, "busybox"));
    chmodSync(join(dir, "busybox"), 0o755);
    if (mode !== "root") chownTree(dir);
    buildOk(dir, ["-t", "fromscratch"]);
    expect(run("fromscratch")).toBe("from scratch\n");
    expect(inspect("fromscratch").RootFS.Layers.length).toBe(1);
  });

  test("multi-stage: only the stages the target needs are built; --target picks a stage", () => {
    const dir = context([
      "ARG BASE=busybox",
      "FROM $BASE AS base",
      "RUN echo base > /base.txt",
      "",
      "FROM base AS broken",
      "RUN echo broken-stage-ran; exit 1",
      "",
      "FROM base AS dev",
      "RUN echo dev > /dev.txt",
      "",
      "FROM base",
      "RUN echo final > /final.txt",
    ].join("\n") + "\n");
    const out = buildOk(dir, ["-t", "ms:final"]);
    expect(out).not.toContain("broken-stage-ran");
    expect(steps(out).map((s) => `${s.n}/${s.total} ${s.text}`)).toEqual([
      "1/4 FROM $BASE AS base", "2/4 RUN echo base > /base.txt", "3/4 FROM base", "4/4 RUN echo final > /final.txt",
    ]);
    expect(run("ms:final", ["sh", "-c", "ls /*.txt"])).toBe("/base.txt\n/final.txt\n");

    const dev = buildOk(dir, ["-t", "ms:dev", "--target", "dev"]);
    expect(dev).not.toContain("broken-stage-ran");
    expect(cacheMap(dev)).toEqual([["RUN echo base > /base.txt", true], ["RUN echo dev > /dev.txt", false]]);
    expect(run("ms:dev", ["sh", "-c", "ls /*.txt"])).toBe("/base.txt\n/dev.txt\n");

    const broken = build(dir, ["--target", "broken"]);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain("broken-stage-ran");
    expect(broken.stderr).toMatch(/Dockerfile:6\b/);

    const missing = build(dir, ["--target", "nope"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('"nope"');
    expect(missing.stdout).toBe("");
  });

  test("the cache: unchanged, touched, changed content and mode, changed RUN, --no-cache, --build-arg", () => {
    const df = (early: string) => [
      "FROM busybox",
      `RUN echo ${early} > /early`,
      "COPY a.txt /a.txt",
      "RUN cat /a.txt > /copy-of-a",
      "ARG V=one",
      'RUN echo "v=$V" > /v',
      'CMD ["cat", "/early", "/copy-of-a", "/v"]',
    ].join("\n") + "\n";
    const dir = context(df("early"), { "a.txt": "A1\n" });
    const T = {
      early: "RUN echo early > /early", copy: "COPY a.txt /a.txt", cat: "RUN cat /a.txt > /copy-of-a", arg: "ARG V=one",
      v: 'RUN echo "v=$V" > /v', cmd: 'CMD ["cat", "/early", "/copy-of-a", "/v"]',
    };
    // ARG's own step is left to the test below: here only the steps that make images
    const cached = (out: string) => cacheMap(out).filter(([t]) => !String(t).startsWith("ARG "));
    const all = (v: boolean) => [[T.early, v], [T.copy, v], [T.cat, v], [T.v, v], [T.cmd, v]];
    const id = () => inspect("cache:1").Id as string;

    expect(cached(buildOk(dir, ["-t", "cache:1"]))).toEqual(all(false));
    const first = id();
    expect(run("cache:1")).toBe("early\nA1\nv=one\n");

    // nothing changed: every step from the cache, the same image
    expect(cached(buildOk(dir, ["-t", "cache:1"]))).toEqual(all(true));
    expect(id()).toBe(first);

    // a copied file touched but not changed: still cached
    const later = new Date(Date.now() + 3600_000);
    utimesSync(join(dir, "a.txt"), later, later);
    expect(cached(buildOk(dir, ["-t", "cache:1"]))).toEqual(all(true));
    expect(id()).toBe(first);

    // its content changed: that step and every one after it rebuilt
    write(dir, "a.txt", "A2\n");
    expect(cached(buildOk(dir, ["-t", "cache:1"]))).toEqual([[T.early, true], [T.copy, false], [T.cat, false], [T.v, false], [T.cmd, false]]);
    expect(run("cache:1")).toBe("early\nA2\nv=one\n");

    // its mode changed (metadata, not mtime): rebuilt too
    chmodSync(join(dir, "a.txt"), 0o600);
    expect(cached(buildOk(dir, ["-t", "cache:1"]))).toEqual([[T.early, true], [T.copy, false], [T.cat, false], [T.v, false], [T.cmd, false]]);
    expect(run("cache:1", ["stat", "-c", "%a", "/a.txt"])).toBe("600\n");

    // an early RUN changed: everything after it rebuilt
    writeFileSync(join(dir, "Dockerfile"), df("early2"));
    const changed = cached(buildOk(dir, ["-t", "cache:1"]));
    expect(changed).toEqual([["RUN echo early2 > /early", false], [T.copy, false], [T.cat, false], [T.v, false], [T.cmd, false]]);
    writeFileSync(join(dir, "Dockerfile"), df("early"));
    chmodSync(join(dir, "a.txt"), 0o644);
    expect(cached(buildOk(dir, ["-t", "cache:1"]))).toEqual(all(true)); // the older steps are still in the cache

    // --no-cache: every step rebuilt, no "Using cache" at all
    const nocache = buildOk(dir, ["--no-cache", "-t", "cache:1"]);
    expect(nocache).not.toContain("Using cache");
    expect(cached(nocache)).toEqual(all(false));

    // a changed build arg: the steps before its ARG cached, the RUN using it and what follows rebuilt
    const arg = buildOk(dir, ["--build-arg", "V=two", "-t", "cache:2"]);
    expect(cached(arg)).toEqual([[T.early, true], [T.copy, true], [T.cat, true], [T.v, false], [T.cmd, false]]);
    expect(run("cache:2")).toBe("early\nA2\nv=two\n");
    expect(cached(buildOk(dir, ["--build-arg", "V=two", "-t", "cache:2"]))).toEqual(all(true));
  });

  test("ARG is a step with its own history entry and cache hit, as in Docker's builders", () => {
    const dir = context("FROM busybox\nARG V=one\nRUN echo \"v=$V\" > /v\n");
    buildOk(dir, ["-t", "argh"]);
    const again = buildOk(dir, ["-t", "argh"]);
    // docker build (classic and BuildKit) commits ARG: `/bin/sh -c #(nop)  ARG V=one`
    expect(cacheMap(again)).toEqual([["ARG V=one", true], ['RUN echo "v=$V" > /v', true]]);
    const h = history("argh");
    expect(h.length).toBe(history("busybox").length + 2);
    expect(h[1]!.createdBy).toMatch(/ARG V=one/);
  });

  test("the predefined proxy build args reach RUN without an ARG; an unconsumed --build-arg is warned about", () => {
    const dir = context('FROM busybox\nRUN echo "[$FOO] [$HTTP_PROXY] [$no_proxy]" > /seen\n');
    const r = build(dir, ["--build-arg", "FOO=1", "--build-arg", "HTTP_PROXY=http://proxy.example:3128", "--build-arg", "no_proxy=localhost", "-t", "proxyargs"]);
    expect(r.code).toBe(0);
    // Docker: HTTP_PROXY, HTTPS_PROXY, FTP_PROXY, NO_PROXY, ALL_PROXY (and lower case) need no ARG, and stay out of the history
    expect(run("proxyargs", ["cat", "/seen"])).toBe("[] [http://proxy.example:3128] [localhost]\n");
    expect(`${r.stdout}${r.stderr}`).toMatch(/One or more build-args \[FOO\] were not consumed/);
    expect(history("proxyargs")[0]!.createdBy).not.toContain("proxy.example");
  });

  test("a file added in one layer and deleted in the next still weighs in the image", () => {
    const dir = context("FROM busybox\nRUN dd if=/dev/zero of=/big bs=1024 count=512 2>/dev/null\nRUN rm /big\n");
    buildOk(dir, ["-t", "addrm"]);
    const [rm, add] = history("addrm");
    expect(add!.createdBy).toContain("dd if=/dev/zero of=/big");
    expect(add!.size).toBeGreaterThanOrEqual(512 * 1024);
    expect(rm!.createdBy).toContain("rm /big");
    expect(rm!.size).toBeLessThan(16 * 1024);
    expect(inspect("addrm").Size).toBeGreaterThanOrEqual(inspect("busybox").Size + 512 * 1024);
    expect(run("addrm", ["sh", "-c", "test -e /big && echo present || echo absent"])).toBe("absent\n");
  });

  test(".dockerignore: excluded files are absent, `!` exceptions present, `**` matches at any depth", () => {
    const dir = context("FROM busybox\nCOPY . /ctx/\n", {
      ".dockerignore": "# a comment\nsecret.env\nlogs/*.log\n!logs/important.log\n**/*.md\nnode_modules\n",
      "keep.txt": "keep\n",
      "secret.env": "PASSWORD=x\n",
      "logs/a.log": "a\n",
      "logs/important.log": "important\n",
      "README.md": "top\n",
      "docs/deep/er/guide.md": "deep\n",
      "docs/deep/er/keep.txt": "kept\n",
      "node_modules/pkg/index.js": "x\n",
    });
    buildOk(dir, ["-t", "ign"]);
    expect(run("ign", ["find", "/ctx", "-type", "f"]).trim().split("\n").sort()).toEqual([
      "/ctx/.dockerignore", "/ctx/Dockerfile", "/ctx/docs/deep/er/keep.txt", "/ctx/keep.txt", "/ctx/logs/important.log",
    ]);
    // everything excluded but exceptions, also inside an excluded directory
    write(dir, ".dockerignore", "*\n!keep.txt\n!docs/deep/er/keep.txt\n!Dockerfile\n");
    buildOk(dir, ["-t", "ign:2"]);
    expect(run("ign:2", ["find", "/ctx", "-type", "f"]).trim().split("\n").sort()).toEqual([
      "/ctx/Dockerfile", "/ctx/docs/deep/er/keep.txt", "/ctx/keep.txt",
    ]);
    // naming an excluded file is Docker's "not found" error
    writeFileSync(join(dir, "Dockerfile"), "FROM busybox\nCOPY secret.env /\n");
    const r = build(dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Dockerfile:2\b.*secret\.env/);
    expect(r.stderr).toContain(".dockerignore");
  });

  test("COPY --chown to users of the image's /etc/passwd, one a RUN added; numeric ids; an unknown user fails", async () => {
    const dir = context([
      "FROM busybox",
      "RUN echo 'builder:x:1500:1600::/home/builder:/bin/sh' >> /etc/passwd && echo 'builders:x:1600:' >> /etc/group",
      "COPY --chown=app f1 /owned/app-file",
      "COPY --chown=builder:builders f2 /owned/builder-file",
      "COPY --chown=1234:5678 f3 /owned/numeric",
      "COPY --chown=app:wheel dir/ /owned/dir/",
      "COPY f1 /owned/root-file",
    ].join("\n") + "\n", { f1: "1\n", f2: "2\n", f3: "3\n", "dir/inner/x": "x\n" });
    buildOk(dir, ["-t", "chown"]);
    const want: Record<string, string> = {
      "/owned/app-file": "1000:1000", "/owned/builder-file": "1500:1600", "/owned/numeric": "1234:5678",
      "/owned/dir/inner": "1000:10", "/owned/dir/inner/x": "1000:10", "/owned/root-file": "0:0",
    };
    // what the layers record, whatever the mode can map
    const saved = await savedLayers("chown");
    const inLayers = Object.fromEntries(Object.keys(want).map((p) => {
      const e = saved.find((x) => "/" + x.path.replace(/\/$/, "") === p);
      return [p, e ? `${e.uid}:${e.gid}` : "missing"];
    }));
    expect(inLayers).toEqual(want);
    // what a container sees: rootless-single maps one id, so everything is root's there
    const seen = run("chown", ["sh", "-c", `stat -c '%n %u:%g' ${Object.keys(want).join(" ")}`]);
    const expected = Object.entries(want).map(([p, o]) => `${p} ${mode === "rootless-single" ? "0:0" : o}`).join("\n") + "\n";
    expect(seen).toBe(expected);

    writeFileSync(join(dir, "Dockerfile"), "FROM busybox\nCOPY --chown=nosuchuser f1 /x\n");
    const r = build(dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Dockerfile:2\b/);
    expect(r.stderr).toContain("nosuchuser");
  });

  /** Every entry of every layer of an image, as `rr save` writes them (later layers last). */
  const savedLayers = async (image: string): Promise<ReadEntry[]> => {
    const { argv, env } = sb.command(mode, ["save", image]);
    const p = Bun.spawnSync(argv, { env, stdout: "pipe", stderr: "pipe" });
    if (p.exitCode !== 0) throw new Error(`rr save ${image}: ${p.stderr.toString()}`);
    const outer = await readAll(chunked(new Uint8Array(p.stdout)));
    const manifest = JSON.parse(text(outer.find((e) => e.path === "manifest.json")!.data));
    const layers: ReadEntry[] = [];
    for (const l of manifest[0].Layers as string[]) {
      layers.push(...await readAll(chunked(outer.find((e) => e.path === l)!.data)));
    }
    return layers;
  };

  test("heredocs: RUN <<EOF, RUN <<EOF with a program, COPY <<EOF (expanded unless quoted), several in one COPY, <<- strips tabs", () => {
    const dir = context([
      "FROM busybox",
      "ENV WHO=world",
      "RUN <<EOF",
      "echo \"hello $WHO\" > /hd-run",
      "echo second line >> /hd-run",
      "EOF",
      "RUN <<EOT sh -e",
      "echo from-sh > /hd-sh",
      "EOT",
      "COPY <<EOF /etc/greeting",
      "hi $WHO",
      "EOF",
      "COPY <<'EOF' /etc/literal",
      "hi $WHO",
      "EOF",
      "COPY <<one <<two /multi/",
      "first",
      "one",
      "second",
      "two",
      "RUN <<-EOF",
      "\techo tabbed > /hd-tabs",
      "\tEOF",
      "RUN echo after-heredocs > /after",
    ].join("\n") + "\n");
    buildOk(dir, ["-t", "heredoc"]);
    expect(run("heredoc", ["sh", "-c", "cat /hd-run /hd-sh /etc/greeting /etc/literal /multi/one /multi/two /hd-tabs /after"]))
      .toBe("hello world\nsecond line\nfrom-sh\nhi world\nhi $WHO\nfirst\nsecond\ntabbed\nafter-heredocs\n");
  });

  test("parser edge cases: escape directive, continuation across comments and empty lines, JSON escapes", () => {
    const dir = context([
      "# syntax=docker/dockerfile:1",
      "# escape=`",
      "FROM busybox",
      "ENV WINPATH=C:\\Program\\Files",
      "RUN echo one `",
      "# a comment inside the continuation",
      "    two > /continued.txt",
      "RUN echo a `",
      "",
      "",
      "    b > /empty-lines.txt",
      "  # an indented comment",
      'CMD ["sh", "-c", "printf \'%s|\' \\"q\\" \'b\\\\s\' \'t\\tab\' \\u00e9"]',
      "run echo lower-case keyword > /lower.txt",
    ].join("\n") + "\n");
    buildOk(dir, ["-t", "parse"]);
    expect(run("parse", ["sh", "-c", "cat /continued.txt /empty-lines.txt /lower.txt; echo $WINPATH"]))
      .toBe("one two\na b\nlower-case keyword\nC:\\Program\\Files\n");
    expect(inspect("parse").Config.Cmd).toEqual(["sh", "-c", "printf '%s|' \"q\" 'b\\s' 't\tab' é"]);
    expect(run("parse")).toBe("q|b\\s|t\tab|é|");

    // a directive after a comment is only a comment: `\` stays the escape character
    const late = context("# a comment first\n# escape=`\nFROM busybox\nRUN echo x \\\n  y > /late.txt\n");
    buildOk(late, ["-t", "parse:late"]);
    expect(run("parse:late", ["cat", "/late.txt"])).toBe("x y\n");
  });

  describe("failures name the Dockerfile line, exit 1 and leave nothing behind", () => {
    const cases: [string, string, Record<string, Spec>, RegExp][] = [
      ["an unknown instruction", "FROM busybox\nRUN true\nFROOB x\n", {}, /Dockerfile:3\b.*FROOB/i],
      ["a missing COPY source", "FROM busybox\nRUN echo a > /a\nCOPY nothere /x\n", {}, /Dockerfile:3\b.*nothere/],
      ["a failing RUN", "FROM busybox\nRUN echo a > /a\nRUN echo failing; exit 3\nRUN echo never\n", {},
        /Dockerfile:3\b.*non-zero code: 3/],
    ];
    for (const [what, df, files, message] of cases) {
      test(what, () => {
        const dir = context(df, files);
        // the steps before the failing one are cached by a first build of just them
        const before = df.split("\n").slice(0, 2).join("\n") + "\n";
        writeFileSync(join(dir, "Dockerfile"), before);
        buildOk(dir);
        writeFileSync(join(dir, "Dockerfile"), df);
        const layers = storeEntries("layers").sort(), blobs = storeEntries("blobs/sha256").sort();
        const images = sb.ok(mode, ["images", "-a", "-q", "--no-trunc"]);
        const containers = sb.ok(mode, ["ps", "-a", "-q"]);

        const r = build(dir, ["-t", "bad:1"]);
        expect(r.code).toBe(1);
        expect(r.stderr.split("\n")[0]).toMatch(message);
        expect(r.stdout).not.toContain("Successfully");
        expect(r.stdout).not.toContain("never");
        expect(sb.rr(mode, ["image", "inspect", "bad:1"]).code).toBe(1);
        expect(sb.ok(mode, ["images", "-a", "-q", "--no-trunc"])).toBe(images);
        expect(sb.ok(mode, ["ps", "-a", "-q"])).toBe(containers);
        expect(storeEntries("tmp")).toEqual([]);
        expect(storeEntries("layers").sort()).toEqual(layers);
        expect(storeEntries("blobs/sha256").sort()).toEqual(blobs);
      });
    }

    test("a syntax error names the file given with -f", () => {
      const dir = context("FROM busybox\n");
      writeFileSync(join(dir, "custom.Dockerfile"), 'FROM busybox\nENV\nCMD ["unterminated\n');
      const r = build(dir, ["-f", join(dir, "custom.Dockerfile")]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/custom\.Dockerfile:2\b/);
      expect(r.stdout).toBe("");
    });
  });

  test("-q prints only the id; --iidfile writes it; -t twice tags both; --label lands in Labels", () => {
    const dir = context("FROM busybox\nRUN echo noisy-run-output\nLABEL from=dockerfile\n");
    const iid = join(workDir("iid"), "iid");
    const out = buildOk(dir, ["-q", "--iidfile", iid, "-t", "two:a", "-t", "two:b", "--label", "from=flag", "--label", "extra=1"]);
    expect(out).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    const id = out.trim();
    expect(id).toMatch(ids);
    expect(readFileSync(iid, "utf8")).toBe(id);
    expect(inspect("two:a").Id).toBe(id);
    expect(inspect("two:b").Id).toBe(id);
    expect(inspect("two:a").RepoTags.sort()).toEqual(["two:a", "two:b"]);
    expect(inspect("two:a").Config.Labels).toEqual({ from: "flag", extra: "1" });
    // not quiet: Docker's tag lines, one per -t
    const loud = buildOk(dir, ["-t", "two:a", "-t", "two:c"]);
    expect(loud).toContain("noisy-run-output");
    expect(loud).toMatch(/Successfully built [0-9a-f]{12}\nSuccessfully tagged two:a\nSuccessfully tagged two:c\n$/);
  });

  test("RUN uses the host's network by default; --network none leaves only lo", () => {
    const dir = context("FROM busybox\nRUN ls /sys/class/net > /net.txt\n");
    buildOk(dir, ["-t", "net:host"]);
    expect(run("net:host", ["cat", "/net.txt"]).trim().split("\n").sort()).toEqual(readdirSync("/sys/class/net").sort());
    buildOk(dir, ["--network", "none", "--no-cache", "-t", "net:none"]);
    expect(run("net:none", ["cat", "/net.txt"])).toBe("lo\n");
  });

  test("the result saves, loads back after rmi and runs with its history", () => {
    const dir = context('FROM busybox\nRUN echo saved > /saved.txt\nCMD ["cat", "/saved.txt"]\n');
    buildOk(dir, ["-t", "tosave:1"]);
    const h = history("tosave:1");
    const file = join(workDir("save"), "saved.tar");
    sb.ok(mode, ["save", "-o", file, "tosave:1"]);
    sb.ok(mode, ["rmi", "tosave:1"]);
    expect(sb.ok(mode, ["load", "-i", file])).toBe("Loaded image: tosave:1\n");
    expect(run("tosave:1")).toBe("saved\n");
    expect(history("tosave:1")).toEqual(h);
  });

  test("COPY into a directory the image has keeps that directory's mode and owner", () => {
    const dir = context("FROM busybox\nCOPY a.txt /tmp/\nCOPY --chown=app a.txt /home/app/\nCOPY sub/ /tmp/\n", { "a.txt": "a\n", "sub/b.txt": "b\n" });
    buildOk(dir, ["-t", "keepdir"]);
    const appOwner = mode === "rootless-single" ? "0:0" : "1000:1000";
    expect(run("keepdir", ["stat", "-c", "%n %a %u:%g", "/tmp", "/home/app", "/tmp/a.txt", "/tmp/b.txt", "/home/app/a.txt"]))
      .toBe(`/tmp 1777 0:0\n/home/app 755 ${appOwner}\n/tmp/a.txt 644 0:0\n/tmp/b.txt 644 0:0\n/home/app/a.txt 644 ${appOwner}\n`);
  });

  test("WORKDIR makes its directory in the image, as Docker's builders do", async () => {
    const dir = context("FROM busybox\nWORKDIR /wd/made\nCMD [\"true\"]\n");
    buildOk(dir, ["-t", "wdmade"]);
    const paths = (await savedLayers("wdmade")).map((e) => e.path.replace(/\/$/, ""));
    expect(paths).toContain("wd/made");
  });

  test("COPY follows a symlink in the destination inside the image, and copies what a symlink source names", () => {
    const dir = context([
      "FROM busybox",
      "RUN ln -s /etc /etc-link && mkdir /realdir && ln -s /realdir /dirlink",
      "COPY a.txt /etc-link/through-link",
      "COPY a.txt /dirlink/",
      "COPY sub/link-to-a /named-symlink",
    ].join("\n") + "\n", { "a.txt": "alpha\n", "sub/link-to-a": { symlink: "../a.txt" } });
    buildOk(dir, ["-t", "symdest"]);
    expect(run("symdest", ["sh", "-c", "readlink /etc-link; readlink /dirlink; cat /etc/through-link /realdir/a.txt; test -L /named-symlink && echo link || cat /named-symlink"]))
      .toBe("/etc\n/realdir\nalpha\nalpha\nalpha\n");
  });

  test("a context symlink that leads out of the context is not followed out of it", () => {
    const secret = sb.path(`outside-${mode}`);
    mkdirSync(secret, { mode: 0o755 });
    writeFileSync(join(secret, "secret.txt"), "host secret\n");
    const dir = context("FROM busybox\nCOPY out/secret.txt /leaked\n", { out: { symlink: secret } });
    const r = build(dir, ["-t", "leak"]);
    // Docker resolves `out` inside the context: out/secret.txt does not exist there
    const leaked = r.code === 0 ? run("leak", ["cat", "/leaked"]) : "";
    expect({ code: r.code, leaked }).toEqual({ code: 1, leaked: "" });
    expect(r.stderr).toMatch(/Dockerfile:2\b.*out\/secret\.txt/);
  });

  test("COPY --chown resolves the name in the image's /etc/passwd, never through a symlink to the host's files", () => {
    const hostEtc = sb.path(`host-etc-${mode}`);
    mkdirSync(hostEtc, { mode: 0o755 });
    writeFileSync(join(hostEtc, "passwd"), "evil:x:4242:4242::/:/bin/sh\n");
    writeFileSync(join(hostEtc, "group"), "evil:x:4242:\n");
    // a layer whose /etc is a symlink to a host directory (absolute: inside the container it leads nowhere)
    const dir = context("FROM busybox\nCOPY root/ /\nCOPY --chown=evil a.txt /x\n", { "a.txt": "a\n", "root/etc": { symlink: hostEtc } });
    const r = build(dir, ["-t", "evil"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Dockerfile:3\b.*evil/);
  });

  test("a Dockerfile of 60 RUN steps builds (Docker allows up to 125 layers)", () => {
    const lines = ["FROM busybox", ...Array.from({ length: 60 }, (_, i) => `RUN echo ${i + 1} > /f${i + 1}`)];
    const dir = context(lines.join("\n") + "\n");
    try {
      buildOk(dir, ["-q", "-t", "many"]);
    } finally {
      removeLeftovers();
    }
    expect(run("many", ["sh", "-c", "cat /f1 /f60"])).toBe("1\n60\n");
    expect(inspect("many").RootFS.Layers.length).toBe(61);
  });

  test("150 RUN steps whose command exits at once all finish (the monitor reaps a child that exits early)", () => {
    // A race, so a stress test: two busy loops on the host make it likely that the
    // container's `true` exits before its monitor is ready for SIGCHLD (seen here
    // within ~100 steps). 25 steps stay under the overlay layer limit of every mode.
    const dir = context(["FROM busybox", ...Array.from({ length: 25 }, () => "RUN true")].join("\n") + "\n");
    const hogs = [1, 2].map(() => Bun.spawn(["sh", "-c", "while :; do :; done"], { stdout: "ignore", stderr: "ignore" }));
    const hung: string[] = [];
    try {
      for (let round = 0; round < 6 && !hung.length; round++) {
        const r = build(dir, ["-q", "--no-cache"]);
        if (r.code !== 0) hung.push(`round ${round + 1}: exit ${r.code}: ${r.stderr.trim()}`);
      }
    } finally {
      for (const h of hogs) h.kill("SIGKILL");
    }
    const left = removeLeftovers();
    expect({ hung, left }).toEqual({ hung: [], left: "" });
  }, 420_000);

  test("usage errors exit 1 with a hint", () => {
    const dir = context("FROM busybox\n");
    const cases: [string[], RegExp][] = [
      [["build"], /requires exactly 1 argument/],
      [["build", dir, dir], /requires exactly 1 argument/],
      [["build", "--nosuch", dir], /unknown flag: --nosuch/],
      [["build", sb.path("no-such-dir")], /no-such-dir/],
      [["build", "-f", sb.path("no-such-Dockerfile"), dir], /no-such-Dockerfile/],
      [["build", "--network", "bridge", dir], /bridge/],
      [["build", "-t", "Bad:Tag", dir], /Bad:Tag/],
      [["build", "--target", "nostage", dir], /nostage/],
    ];
    for (const [args, message] of cases) {
      const r = sb.rr(mode, args);
      expect({ args, code: r.code }).toEqual({ args, code: 1 });
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe("");
    }
  });

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    test(`${signal} during a RUN stops the build: no image, no container left running`, async () => {
      removeLeftovers(); // only what this build leaves counts
      // the quotes keep the word out of the `Step 2/2 : RUN …` line: only the RUN's own output has it
      const dir = context(`FROM busybox\nRUN echo "started"-${signal}; sleep 20; echo finished > /done\n`);
      const { argv, env } = sb.command(mode, ["build", "-t", `interrupted:${signal.toLowerCase()}`, dir]);
      const proc = Bun.spawn(argv, { env, stdout: "pipe", stderr: "pipe" });
      let out = "";
      const reader = proc.stdout.getReader();
      const deadline = Date.now() + 15_000;
      while (!out.includes(`\nstarted-${signal}\n`) && Date.now() < deadline) {
        const { value, done } = await reader.read();
        if (done) break;
        out += new TextDecoder().decode(value);
      }
      expect(out).toContain(`started-${signal}`);
      const t0 = Date.now();
      proc.kill(signal); // its pid is rr's own (setpriv execs env execs rr)
      const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      const code = await proc.exited;
      clearTimeout(timer);
      const seconds = (Date.now() - t0) / 1000;
      await Bun.sleep(500);
      const left = removeLeftovers();
      expect({ stoppedWithin10s: seconds < 10, failed: code !== 0, left }).toEqual({ stoppedWithin10s: true, failed: true, left: "" });
      expect(sb.rr(mode, ["image", "inspect", `interrupted:${signal.toLowerCase()}`]).code).toBe(1);
      expect(storeEntries("tmp")).toEqual([]);
    }, 40_000);
  }
});
