/** The shared image fixtures are what other tests trust: check they are what they claim. */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decompress } from "../../src/image/decompress.ts";
import {
  busyboxApplets, busyboxLayer, DEFAULT_PATH, multiLayerImage, sha256, writeDockerArchive, writeOciArchive, type FixtureImage,
} from "../fixtures/images.ts";
import { chunked, readAll, text, type ReadEntry } from "./tar-helpers.ts";

const tmp = mkdtempSync(join(tmpdir(), "rr-fixtures-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function archiveFiles(path: string): Promise<Map<string, ReadEntry>> {
  return new Map((await readAll(chunked(new Uint8Array(readFileSync(path))))).map((e) => [e.path, e]));
}
const jsonOf = (e: ReadEntry | undefined) => JSON.parse(text(e!.data));

async function plainTar(blob: Uint8Array): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of decompress(chunked(blob))) parts.push(c);
  return new Uint8Array(Buffer.concat(parts));
}

describe("busyboxLayer()", () => {
  test("links every busybox applet in bin/ and carries the users and groups tests rely on", () => {
    const layer = busyboxLayer();
    const links = layer.filter((e) => e.type === "symlink").map((e) => e.path);
    expect(links.length).toBe(busyboxApplets().length);
    expect(links).toContain("bin/sh");
    const passwd = layer.find((e) => e.path === "etc/passwd");
    expect(passwd && "data" in passwd ? String(passwd.data) : "").toContain("app:x:1000:1000:app:/home/app:/bin/sh");
    expect(layer.find((e) => e.path === "tmp/")!.mode).toBe(0o1777);
    expect(layer.find((e) => e.path === "home/app/")).toMatchObject({ uid: 1000, gid: 1000 });
  });
});

describe("writeDockerArchive()", () => {
  test("writes manifest.json, a config with matching diff_ids, layer.tar files and repositories", async () => {
    const image: FixtureImage = { ...multiLayerImage(), config: { Entrypoint: ["/bin/sh", "-c"], User: "app" } };
    const path = join(tmp, "docker.tar");
    const { configDigest, diffIds } = writeDockerArchive(path, image);
    const files = await archiveFiles(path);
    const [manifest] = jsonOf(files.get("manifest.json"));
    expect(manifest.RepoTags).toEqual(["rr-test/multilayer:latest"]);
    expect(`sha256:${manifest.Config.replace(".json", "")}`).toBe(configDigest);
    const config = jsonOf(files.get(manifest.Config));
    expect(config).toMatchObject({ architecture: "amd64", os: "linux" });
    expect(config.config).toEqual({ Env: [DEFAULT_PATH], Cmd: ["sh"], Entrypoint: ["/bin/sh", "-c"], User: "app" });
    expect(config.rootfs.diff_ids).toEqual(diffIds);
    const layerDigests = manifest.Layers.map((l: string) => `sha256:${sha256(files.get(l)!.data)}`);
    expect(layerDigests).toEqual(diffIds);
    expect(Object.keys(jsonOf(files.get("repositories")))).toEqual(["rr-test/multilayer"]);
  });

  test("is byte-for-byte reproducible", () => {
    const image = multiLayerImage();
    writeDockerArchive(join(tmp, "a.tar"), image);
    writeDockerArchive(join(tmp, "b.tar"), image);
    expect(sha256(readFileSync(join(tmp, "a.tar")))).toBe(sha256(readFileSync(join(tmp, "b.tar"))));
  });
});

describe("writeOciArchive()", () => {
  for (const compress of ["none", "gzip", "zstd"] as const) {
    test(`writes an OCI layout whose blobs match their digests (${compress} layers)`, async () => {
      const path = join(tmp, `oci-${compress}.tar`);
      const image: FixtureImage = { ...multiLayerImage(), repoTags: ["localhost:5000/rr/multi:v1"], compress };
      const { manifestDigest } = writeOciArchive(path, image);
      const files = await archiveFiles(path);
      expect(jsonOf(files.get("oci-layout"))).toEqual({ imageLayoutVersion: "1.0.0" });
      for (const [name, e] of files) {
        if (name.startsWith("blobs/sha256/") && e.type === "file") expect(sha256(e.data)).toBe(name.slice("blobs/sha256/".length));
      }
      const [desc] = jsonOf(files.get("index.json")).manifests;
      expect(desc.digest).toBe(manifestDigest);
      expect(desc.annotations).toEqual({ "io.containerd.image.name": "localhost:5000/rr/multi:v1", "org.opencontainers.image.ref.name": "v1" });
      const manifest = jsonOf(files.get(`blobs/sha256/${manifestDigest.slice(7)}`));
      const suffix = compress === "none" ? "" : `+${compress}`;
      expect(manifest.layers.map((l: { mediaType: string }) => l.mediaType)).toEqual(Array(2).fill(`application/vnd.oci.image.layer.v1.tar${suffix}`));
      const config = jsonOf(files.get(`blobs/sha256/${manifest.config.digest.slice(7)}`));
      for (const [i, layer] of manifest.layers.entries()) {
        const tar = await plainTar(files.get(`blobs/sha256/${layer.digest.slice(7)}`)!.data);
        expect(`sha256:${sha256(tar)}`).toBe(config.rootfs.diff_ids[i]);
      }
    });
  }
});
