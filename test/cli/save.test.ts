/**
 * `rr save` as users run it, in every identity mode: archives that load
 * back into a fresh store and run, that skopeo reads, several images in
 * one archive, stdout, and the failures (unknown image, a terminal).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chownSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { integrationSkipReason, MODES, Sandbox, userIds, type Mode } from "../helpers/rr.ts";
import { writeFixtures } from "../helpers/fixtures.ts";
import { findHelper } from "../../src/runtime/identity.ts";
import { readAll, text } from "../image/tar-helpers.ts";
import { chunked } from "../store/store-helpers.ts";

const skip = integrationSkipReason();
const RUN_MULTI = ["sh", "-c", "test -e /etc/removed || echo gone; ls /data/opq"];

describe.skipIf(!!skip)(`rr save${skip ? ` — skipped: ${skip}` : ""}`, () => {
  let sb: Sandbox;
  /** A directory the mode's user may write to. */
  const workDir = (mode: Mode, name: string): string => {
    const d = sb.path(`${mode}-${name}`);
    mkdirSync(d, { recursive: true, mode: 0o755 });
    if (mode !== "root") chownSync(d, userIds()!.uid, userIds()!.gid);
    return d;
  };
  beforeAll(() => {
    sb = new Sandbox();
    const f = writeFixtures(sb);
    for (const mode of MODES) {
      sb.ok(mode, ["load", "-i", f.busyboxOci]); // gzip layers: the docker-archive must decompress them
      sb.ok(mode, ["load", "-i", f.multi]);
    }
  });
  afterAll(() => sb?.cleanup());

  for (const mode of MODES) {
    for (const format of ["docker-archive", "oci-archive"] as const) {
      test(`${mode}: save --format ${format} of two images loads into a fresh store and runs`, () => {
        const dir = workDir(mode, format);
        const file = `${dir}/images.tar`;
        const saved = sb.rr(mode, ["save", "--format", format, "-o", file, "busybox-oci", "multi"]);
        expect(saved).toMatchObject({ code: 0, stdout: "", stderr: "" });
        expect(readdirSync(dir)).toEqual(["images.tar"]); // no temporary left beside it
        const env = { RR_ROOT: `${dir}/fresh-store` };
        const loaded = sb.rr(mode, ["load", "-i", file], { env });
        // rootless-single warns that the multi image's uid-1000 files become root's
        expect(loaded.stderr.split("\n").filter((l) => l && !l.startsWith("rr: warning: image has files owned by ids"))).toEqual([]);
        expect(loaded.stdout).toBe("Loaded image: busybox-oci:latest\nLoaded image: multi:latest\n");
        const ids = (args: string[]) => sb.ok(mode, ["images", "-q", "--no-trunc", ...args]);
        expect(sb.ok(mode, ["images", "-q", "--no-trunc"], { env })).toBe(ids([]));
        expect(sb.ok(mode, ["run", "--rm", "multi", ...RUN_MULTI], { env })).toBe("gone\nc\n");
        expect(sb.ok(mode, ["run", "--rm", "busybox-oci", "echo", "hi"], { env })).toBe("hi\n");
      });
    }
  }

  test("save to stdout pipes into rr load", () => {
    const { argv, env } = sb.command("root", ["save", "multi"]);
    const p = Bun.spawnSync(argv, { env, stdout: "pipe", stderr: "pipe" });
    expect(p.stderr.toString()).toBe("");
    expect(p.exitCode).toBe(0);
    const loaded = sb.rr("root", ["load"], { stdin: p.stdout, env: { RR_ROOT: sb.path("stdout-store") } });
    expect(loaded.stdout).toBe("Loaded image: multi:latest\n");
  });

  test("saving several names of one image gives one entry with every tag", async () => {
    sb.ok("root", ["tag", "multi", "multi:v2"]);
    const file = sb.path("tags.tar");
    sb.ok("root", ["save", "-o", file, "multi"]); // a bare repository name takes all its tags
    const entries = await readAll(chunked(await Bun.file(file).bytes()));
    const manifest = JSON.parse(text(entries.find((e) => e.path === "manifest.json")!.data));
    expect(manifest.map((m: { RepoTags: string[] }) => m.RepoTags.sort())).toEqual([["multi:latest", "multi:v2"]]);
    sb.ok("root", ["save", "-o", file, "multi:v2"]);
    const only = JSON.parse(text((await readAll(chunked(await Bun.file(file).bytes()))).find((e) => e.path === "manifest.json")!.data));
    expect(only[0].RepoTags).toEqual(["multi:v2"]);
  });

  const skopeo = findHelper("skopeo") ? undefined : "skopeo is not installed";
  test.skipIf(!!skopeo)(`skopeo inspects both archive formats${skopeo ? ` — skipped: ${skopeo}` : ""}`, () => {
    const inspect = (ref: string) => {
      const p = Bun.spawnSync(["skopeo", "inspect", ref], { stderr: "pipe" });
      expect(p.stderr.toString()).toBe("");
      expect(p.exitCode).toBe(0);
      return JSON.parse(p.stdout.toString());
    };
    const layers = JSON.parse(sb.ok("root", ["inspect", "--format", "{{json .RootFS.Layers}}", "busybox-oci"]));
    const docker = sb.path("skopeo-docker.tar"), oci = sb.path("skopeo-oci.tar");
    sb.ok("root", ["save", "-o", docker, "busybox-oci"]);
    sb.ok("root", ["save", "--format", "oci-archive", "-o", oci, "busybox-oci", "multi"]);
    // docker-archive layers are uncompressed: skopeo's layer digests are the diff_ids
    expect(inspect(`docker-archive:${docker}`).Layers).toEqual(layers);
    const fromOci = inspect(`oci-archive:${oci}:docker.io/library/busybox-oci:latest`);
    expect(fromOci.Layers).toHaveLength(1);
    expect(fromOci.Layers).not.toEqual(layers); // gzip blobs, as stored
    expect(inspect(`oci-archive:${oci}:docker.io/library/multi:latest`).Layers).toHaveLength(2);
  });

  test("an unknown image fails with exit 1 and leaves no file", () => {
    const file = sb.path("nosuch.tar");
    const r = sb.rr("root", ["save", "-o", file, "multi", "nosuch"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toStartWith("rr: No such image: nosuch\n");
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(sb.dir).filter((n) => n.includes(".nosuch.tar"))).toEqual([]);
  });

  test("refuses to write an archive to a terminal", () => {
    const { argv } = sb.command("root", ["save", "multi"]);
    const p = Bun.spawnSync(["script", "-qec", argv.join(" "), "/dev/null"], { stdout: "pipe", stderr: "pipe", env: { RR_ROOT: sb.storeRoot("root"), PATH: process.env.PATH! } });
    expect(p.stdout.toString()).toContain("rr: cowardly refusing to save to a terminal. Use the -o flag or redirect");
    expect(p.exitCode).toBe(1);
  });
});
