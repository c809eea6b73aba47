/**
 * The image commands as a user runs them (`bun src/cli/main.ts --root DIR …`,
 * as root): output wording, exit codes, and that skopeo reads the store.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { createContainerRecord, newContainerId } from "../../src/store/container-store.ts";
import { layerTar } from "../store/archive-helpers.ts";
import { busyboxLayer, multiLayerImage, writeDockerArchive, writeOciArchive } from "../fixtures/images.ts";

const MAIN = join(import.meta.dir, "../../src/cli/main.ts");
let dir: string;
let root: string;

function rr(...args: string[]): { code: number; stdout: string; stderr: string } {
  const p = Bun.spawnSync([process.execPath, MAIN, "--root", root, ...args], { env: { ...process.env, RR_ROOT: undefined } });
  return { code: p.exitCode ?? -1, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "rr-cli-images-"));
  root = join(dir, "store");
  writeDockerArchive(join(dir, "busybox.tar"), { repoTags: ["busybox:latest"], layers: [busyboxLayer()] });
  writeOciArchive(join(dir, "multi-oci.tar"), { ...multiLayerImage(), compress: "zstd" });
  writeFileSync(join(dir, "rootfs.tar.gz"), gzipSync(layerTar({ "etc/hello": "hi\n" })));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("rr load / images / tag / rmi / inspect / import", () => {
  test("load -i prints Docker's 'Loaded image' lines", () => {
    const a = rr("load", "-i", join(dir, "busybox.tar"));
    expect(a).toMatchObject({ code: 0, stdout: "Loaded image: busybox:latest\n", stderr: "" });
    const b = rr("load", "-q", "--input", join(dir, "multi-oci.tar"));
    expect(b).toMatchObject({ code: 0, stdout: "Loaded image: rr-test/multilayer:latest\n" });
  });

  test("load reads stdin", () => {
    const p = Bun.spawnSync([process.execPath, MAIN, "--root", root, "load"], { stdin: Bun.file(join(dir, "busybox.tar")) });
    expect(p.stdout.toString()).toBe("Loaded image: busybox:latest\n");
    expect(p.exitCode).toBe(0);
  });

  test("images prints Docker's table", () => {
    const r = rr("images");
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^REPOSITORY {11}TAG {7}IMAGE ID {7}CREATED {7}SIZE$/);
    expect(lines.slice(1).map((l) => l.split(/\s{3,}/).slice(0, 2))).toEqual([["busybox", "latest"], ["rr-test/multilayer", "latest"]]);
    expect(lines[1]).toMatch(/^busybox +latest +[0-9a-f]{12} +\d+ years ago +\d+(\.\d+)?MB$/);
  });

  test("images -q, --no-trunc, --format and a REPOSITORY filter", () => {
    expect(rr("images", "-q").stdout).toMatch(/^[0-9a-f]{12}\n[0-9a-f]{12}\n$/);
    expect(rr("images", "-q", "--no-trunc", "busybox").stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect(rr("images", "--format", "{{.Repository}}:{{.Tag}}").stdout).toBe("busybox:latest\nrr-test/multilayer:latest\n");
    const json = rr("images", "--format", "json", "busybox").stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(json).toHaveLength(1);
    expect(json[0]).toMatchObject({ Repository: "busybox", Tag: "latest", Digest: "<none>" });
    expect(rr("images", "--format", "table {{.Repository}}\\t{{.Tag}}", "rr-test/multilayer").stdout)
      .toBe("REPOSITORY           TAG\nrr-test/multilayer   latest\n");
  });

  test("tag adds a name; rmi of one name untags it", () => {
    expect(rr("tag", "busybox", "localhost:5000/bb:v1")).toMatchObject({ code: 0, stdout: "" });
    expect(rr("images", "--format", "{{.Repository}}:{{.Tag}}", "localhost:5000/bb").stdout).toBe("localhost:5000/bb:v1\n");
    expect(rr("rmi", "localhost:5000/bb:v1")).toMatchObject({ code: 0, stdout: "Untagged: localhost:5000/bb:v1\n" });
  });

  test("failures exit 1 with one 'rr: ' line and a hint", () => {
    const missing = rr("inspect", "--type", "image", "nosuch");
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe("[]\n");
    expect(missing.stderr).toBe("rr: No such image: nosuch\n");
    const rmi = rr("rmi", "nosuch");
    expect(rmi.code).toBe(1);
    expect(rmi.stderr).toBe("rr: No such image: nosuch\nLoad it with 'rr load -i FILE' or 'rr import FILE NAME'.\n");
    expect(rr("tag", "busybox", "Bad").stderr).toBe('rr: invalid reference "Bad": repository name must be lowercase\n');
    expect(rr("load", "-i", join(dir, "rootfs.tar.gz")).stderr).toContain("rr: not an image archive");
  });

  test("inspect prints Docker-shaped JSON and evaluates --format templates", () => {
    const r = rr("inspect", "busybox");
    expect(r.code).toBe(0);
    const [obj] = JSON.parse(r.stdout);
    expect(obj).toMatchObject({
      RepoTags: ["busybox:latest"], Architecture: "amd64", Os: "linux",
      Config: { Cmd: ["sh"], Entrypoint: null, WorkingDir: "" },
      RootFS: { Type: "layers" },
    });
    expect(obj.Id).toMatch(/^sha256:[0-9a-f]{64}$/);
    const f = rr("inspect", "-f", "{{.Config.Cmd}} {{json .Config.Entrypoint}} {{index .RepoTags 0}} {{len .RootFS.Layers}}", "busybox", "rr-test/multilayer");
    expect(f.stdout).toBe("[sh] null busybox:latest 1\n[sh] null rr-test/multilayer:latest 2\n");
  });

  test("rmi refuses an image a container uses unless forced, then keeps it as <none>", () => {
    const id = JSON.parse(rr("inspect", "rr-test/multilayer").stdout)[0].Id as string;
    const cid = newContainerId();
    createContainerRecord(root, {
      id: cid, image: "rr-test/multilayer", imageId: id, created: new Date().toISOString(), command: ["sh"],
      autoRemove: false, labels: {}, state: { status: "exited", exitCode: 0 },
    });
    const refused = rr("rmi", "rr-test/multilayer");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`rr: unable to remove image "rr-test/multilayer" (must force) - container ${cid.slice(0, 12)} is using its referenced image ${id.slice(7, 19)}`);
    const forced = rr("rmi", "-f", "rr-test/multilayer");
    expect(forced).toMatchObject({ code: 0, stdout: "Untagged: rr-test/multilayer:latest\n" });
    expect(rr("images", "--format", "{{.Repository}} {{.ID}}", "--filter", "dangling=true").stdout).toBe(`<none> ${id.slice(7, 19)}\n`);
  });

  test("import makes an image from a gzip rootfs and prints its id", () => {
    const r = rr("import", "-m", "from test", join(dir, "rootfs.tar.gz"), "imported:v1");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect(rr("inspect", "-f", "{{.Comment}} {{.RepoTags}}", "imported:v1").stdout).toBe("from test [imported:v1]\n");
  });

  test("rmi deletes an image with its last name: 'Untagged' then 'Deleted'", () => {
    const id = JSON.parse(rr("inspect", "imported:v1").stdout)[0].Id;
    expect(rr("rmi", "imported:v1")).toMatchObject({ code: 0, stdout: `Untagged: imported:v1\nDeleted: ${id}\n` });
  });

  const skopeo = Bun.which("skopeo");
  test.skipIf(!skopeo)(`skopeo reads the store as an OCI layout${skopeo ? "" : " (skipped: skopeo is not installed)"}`, () => {
    const p = Bun.spawnSync([skopeo!, "inspect", `oci:${root}:docker.io/library/busybox:latest`]);
    expect(p.stderr.toString()).toBe("");
    const info = JSON.parse(p.stdout.toString());
    const ours = JSON.parse(rr("inspect", "busybox").stdout)[0];
    expect(info.Layers).toHaveLength(1);
    expect(info.Os).toBe("linux");
    expect(info.Env).toEqual(ours.Config.Env);
    const cfg = Bun.spawnSync([skopeo!, "inspect", "--config", `oci:${root}:docker.io/library/busybox:latest`]);
    expect(JSON.parse(cfg.stdout.toString()).rootfs.diff_ids).toEqual(ours.RootFS.Layers);
  });
});
