/**
 * `rr build` beside Debian's buildah on the same Dockerfiles and the same
 * busybox base: the root filesystems they produce must hold the same files,
 * types, modes, owners, symlink targets and contents (never mtimes).
 * buildah runs as root with its own --root/--runroot in the sandbox, vfs and
 * chroot isolation; rr as root and rootless with subordinate ids
 * (rootless-single maps one id, so owners collapse to root there by design).
 * rr's tree is `rr export` of a created container, buildah's is `buildah mount`.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { integrationSkipReason, Sandbox, userIds, type Mode } from "../helpers/rr.ts";
import { writeFixtures } from "../helpers/fixtures.ts";
import { chunked, readAll } from "../image/tar-helpers.ts";

const BUILDAH = Bun.which("buildah");
const skip = integrationSkipReason() ?? (BUILDAH ? undefined : "buildah is not installed (Debian package buildah)");
const RR_MODES: Mode[] = ["root", "rootless"];

/** One node of a root filesystem, as both tools are compared on it. */
type Node = string;

/**
 * Paths buildah's RUN leaves behind as its own mount points (empty), which
 * rr's RUN does not commit, as Docker's does not: left out when rr lacks them.
 */
const BUILDAH_RUN_MOUNT_POINTS = new Set(["dev", "proc", "sys", "run", "etc/hosts", "etc/hostname", "etc/resolv.conf"]);

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex").slice(0, 16);
const octal = (m: number) => (m & 0o7777).toString(8).padStart(4, "0");

/** A directory tree (buildah's mount), walked without following symlinks. */
function walkTree(root: string): Map<string, Node> {
  const out = new Map<string, Node>();
  const visit = (rel: string) => {
    const abs = rel ? join(root, rel) : root;
    for (const name of readdirSync(abs).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(root, r));
      const owner = `${st.uid}:${st.gid}`;
      if (st.isDirectory()) { out.set(r, `dir ${octal(st.mode)} ${owner}`); visit(r); }
      else if (st.isSymbolicLink()) out.set(r, `symlink ${owner} -> ${readlinkSync(join(root, r))}`);
      else if (st.isFile()) out.set(r, `file ${octal(st.mode)} ${owner} ${st.size} ${sha(readFileSync(join(root, r)))}`);
      else if (st.isFIFO()) out.set(r, `fifo ${octal(st.mode)} ${owner}`);
      else out.set(r, `other ${octal(st.mode)} ${owner}`);
    }
  };
  visit("");
  return out;
}

/** A tar (rr export), hard links read as the file they name. */
async function tarTree(bytes: Uint8Array): Promise<Map<string, Node>> {
  const entries = await readAll(chunked(bytes));
  const clean = (p: string) => p.replace(/^\.?\/+/, "").replace(/\/+$/, "");
  const byPath = new Map(entries.map((e) => [clean(e.path), e]));
  const out = new Map<string, Node>();
  for (const e of entries) {
    const p = clean(e.path);
    if (!p) continue;
    const owner = `${e.uid}:${e.gid}`;
    if (e.type === "dir") out.set(p, `dir ${octal(e.mode)} ${owner}`);
    else if (e.type === "symlink") out.set(p, `symlink ${owner} -> ${e.linkname}`);
    else if (e.type === "file") out.set(p, `file ${octal(e.mode)} ${owner} ${e.data.length} ${sha(e.data)}`);
    else if (e.type === "hardlink") {
      const t = byPath.get(clean(e.linkname));
      out.set(p, t ? `file ${octal(t.mode)} ${t.uid}:${t.gid} ${t.data.length} ${sha(t.data)}` : `hardlink to missing ${e.linkname}`);
    } else if (e.type === "fifo") out.set(p, `fifo ${octal(e.mode)} ${owner}`);
    else out.set(p, `other ${octal(e.mode)} ${owner}`);
  }
  return out;
}

/** Lines `- path: rr …` / `+ path: buildah …` for every difference; empty when the trees agree. */
function treeDiff(rr: Map<string, Node>, buildah: Map<string, Node>): string[] {
  const lines: string[] = [];
  for (const p of [...new Set([...rr.keys(), ...buildah.keys()])].sort()) {
    const a = rr.get(p), b = buildah.get(p);
    if (a === b) continue;
    if (a === undefined && BUILDAH_RUN_MOUNT_POINTS.has(p) && /^(dir 0755|file 0755 0:0 0 )/.test(b!)) continue;
    lines.push(`- /${p}: rr      ${a ?? "(absent)"}`, `+ /${p}: buildah ${b ?? "(absent)"}`);
  }
  return lines;
}

type Spec = string | { data: string; mode: number } | { symlink: string } | { dir: number };

interface Case {
  name: string;
  dockerfile: string;
  files: Record<string, Spec>;
}

const CASES: Case[] = [
  {
    name: "COPY with modes, directories, globs, --chown and --chmod",
    dockerfile: [
      "FROM busybox",
      "COPY a.txt script.sh private /files/",
      "COPY dir /files/dir",
      "COPY dir/ /files/dir-contents/",
      "COPY *.glob /files/globbed/",
      "COPY --chown=app:app a.txt /files/owned-by-app",
      "COPY --chown=app dir /files/app-dir",
      "COPY --chown=1234:5678 script.sh /files/numeric",
      "COPY --chmod=0640 script.sh /files/chmodded",
      "COPY a.txt /files/renamed",
      "COPY a.txt /tmp",
    ].join("\n") + "\n",
    files: {
      "a.txt": "alpha\n",
      "script.sh": { data: "#!/bin/sh\necho hi\n", mode: 0o755 },
      "private": { data: "secret\n", mode: 0o600 },
      "dir": { dir: 0o750 },
      "dir/nested": { dir: 0o700 },
      "dir/nested/deep.txt": { data: "deep\n", mode: 0o640 },
      "dir/setuid": { data: "#!/bin/sh\n", mode: 0o4755 },
      "dir/link": { symlink: "nested/deep.txt" },
      "one.glob": "1\n",
      "two.glob": "2\n",
    },
  },
  {
    name: "RUN creating, changing and deleting files",
    dockerfile: [
      "FROM busybox",
      "RUN mkdir -p /made/sub && echo made > /made/sub/file && chmod 0700 /made/sub && chmod 0600 /made/sub/file",
      "RUN echo owned > /made/owned && chown 1000:10 /made/owned && chmod 4750 /made/owned",
      "RUN ln -s sub/file /made/rel-link && ln -s /etc/passwd /made/abs-link && ln /made/owned /made/hard",
      "RUN mkfifo -m 0640 /made/fifo",
      "RUN echo changed >> /etc/passwd && rm /etc/group && rm -r /home/app && chmod 0750 /root",
      "RUN mv /made/sub /made/moved && touch /tmp/empty",
    ].join("\n") + "\n",
    files: {},
  },
  {
    name: "WORKDIR and USER",
    dockerfile: [
      "FROM busybox",
      "WORKDIR /srv/app",
      "RUN echo as-root > created-in-workdir",
      "WORKDIR rel/deeper",
      "USER app",
      "RUN id -u > /home/app/uid && echo mine > /tmp/by-app",
      "WORKDIR /home/app/work",
      "USER root",
      "COPY a.txt ./",
    ].join("\n") + "\n",
    files: { "a.txt": "alpha\n" },
  },
  {
    name: "whiteouts across layers: deleted files, a directory replaced, a file brought back",
    dockerfile: [
      "FROM busybox",
      "RUN mkdir /d && echo a > /d/a && echo b > /d/b && mkdir /d/sub && echo s > /d/sub/s && echo keep > /keep",
      "RUN rm -rf /d && mkdir /d && echo c > /d/c",
      "RUN rm /keep /d/c && rm -r /usr/bin",
      "RUN echo back > /keep && mkdir -p /usr/bin && echo new > /usr/bin/new",
      "COPY a.txt /d/from-copy",
    ].join("\n") + "\n",
    files: { "a.txt": "alpha\n" },
  },
  {
    name: "symlinks: a destination through a symlink in the image, a symlink named as the source",
    dockerfile: [
      "FROM busybox",
      "RUN ln -s /etc /etc-link && mkdir /realdir && ln -s /realdir /dirlink",
      "COPY a.txt /etc-link/through-link",
      "COPY a.txt /dirlink/",
      "COPY sub/link-to-a /named-symlink",
      "COPY sub /subcopy",
    ].join("\n") + "\n",
    files: { "a.txt": "alpha\n", "sub/link-to-a": { symlink: "../a.txt" } },
  },
];

describe.skipIf(!!skip)(`rr build beside buildah${skip ? ` — skipped: ${skip}` : ""}`, () => {
  let sb: Sandbox;
  let buildah: string[];
  const trees = new Map<string, Map<string, Node>>();

  const write = (dir: string, name: string, spec: Spec) => {
    const p = join(dir, name);
    mkdirSync(dirname(p), { recursive: true, mode: 0o755 });
    if (typeof spec === "string") writeFileSync(p, spec);
    else if ("symlink" in spec) symlinkSync(spec.symlink, p);
    else if ("dir" in spec) { mkdirSync(p, { recursive: true }); chmodSync(p, spec.dir); }
    else { writeFileSync(p, spec.data); chmodSync(p, spec.mode); }
  };
  /** The context, owned by the test account so rootless rr reads even its 0600 files. */
  const context = (c: Case, i: number): string => {
    const dir = sb.path(`ctx-${i}`);
    mkdirSync(dir, { mode: 0o755 });
    writeFileSync(join(dir, "Dockerfile"), c.dockerfile);
    for (const [name, spec] of Object.entries(c.files)) write(dir, name, spec);
    // modes of directories given by the spec are set after their files were written
    for (const [name, spec] of Object.entries(c.files)) if (typeof spec === "object" && "dir" in spec) chmodSync(join(dir, name), spec.dir);
    const { uid, gid } = userIds()!;
    Bun.spawnSync(["chown", "-hR", `${uid}:${gid}`, dir]);
    return dir;
  };
  const bah = (args: string[]) => {
    const r = Bun.spawnSync([...buildah, ...args], { stdout: "pipe", stderr: "pipe", env: { ...process.env, BUILDAH_ISOLATION: "chroot" } });
    if (r.exitCode !== 0) throw new Error(`buildah ${args.join(" ")} exited ${r.exitCode}: ${r.stderr.toString()}`);
    return r.stdout.toString().trim();
  };

  beforeAll(() => {
    sb = new Sandbox();
    const f = writeFixtures(sb);
    for (const mode of RR_MODES) sb.ok(mode, ["load", "-i", f.busybox]);
    // the base buildah sees is the very image rr has, saved by rr
    const base = sb.path("base.tar");
    sb.ok("root", ["save", "-o", base, "busybox"]);
    buildah = [BUILDAH!, "--root", sb.path("buildah-root"), "--runroot", sb.path("buildah-run"), "--storage-driver", "vfs"];
    bah(["pull", "-q", `docker-archive:${base}`]);
    CASES.forEach((c, i) => context(c, i));
  });
  afterAll(() => {
    if (buildah) Bun.spawnSync([...buildah, "rm", "--all"], { stdout: "ignore", stderr: "ignore" });
    // vfs layers may hold read-only directories: buildah removes its own store
    if (buildah) Bun.spawnSync([...buildah, "rmi", "--all", "--force"], { stdout: "ignore", stderr: "ignore" });
    sb?.cleanup();
  });

  const buildahTree = (i: number): Map<string, Node> => {
    const key = `buildah-${i}`;
    if (!trees.has(key)) {
      bah(["bud", "--isolation", "chroot", "--pull=never", "-q", "-t", `case${i}`, sb.path(`ctx-${i}`)]);
      const ctr = bah(["from", "--pull=never", "-q", `localhost/case${i}`]);
      const mnt = bah(["mount", ctr]);
      try { trees.set(key, walkTree(mnt)); } finally { bah(["umount", ctr]); bah(["rm", ctr]); }
    }
    return trees.get(key)!;
  };

  const rrTree = async (mode: Mode, i: number): Promise<Map<string, Node>> => {
    const r = sb.rr(mode, ["build", "-q", "-t", `case${i}`, sb.path(`ctx-${i}`)]);
    if (r.code !== 0) throw new Error(`rr build (${mode}) exited ${r.code}: ${r.stderr}`);
    sb.ok(mode, ["create", "--name", `x${i}`, `case${i}`, "true"]);
    try {
      const { argv, env } = sb.command(mode, ["export", `x${i}`]);
      const p = Bun.spawnSync(argv, { env, stdout: "pipe", stderr: "pipe" });
      if (p.exitCode !== 0) throw new Error(`rr export: ${p.stderr.toString()}`);
      return await tarTree(new Uint8Array(p.stdout));
    } finally {
      sb.rr(mode, ["rm", `x${i}`]);
    }
  };

  CASES.forEach((c, i) => {
    for (const mode of RR_MODES) {
      test(`${c.name} (rr ${mode})`, async () => {
        const theirs = buildahTree(i);
        const ours = await rrTree(mode, i);
        expect(ours.size).toBeGreaterThan(100); // busybox and its applets: a real tree, not an empty export
        expect(treeDiff(ours, theirs)).toEqual([]);
      });
    }
  });
});
