/**
 * A ~220 MB, four-layer image for the pull benchmark, made from this
 * machine's own files (a realistic mix of many small files and some large
 * ones): busybox, Python's standard library, /usr/libexec, /usr/share/doc.
 * Written as an OCI layout with gzip layers, ready for `skopeo copy`.
 */
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { busyboxLayer } from "../../test/fixtures/images.ts";
import { tarBytes } from "../../src/image/tar-writer.ts";

export const BIG_LAYER_SOURCES = ["usr/lib/python3.11", "usr/libexec", "usr/share/doc"];

const sha256 = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

function hostTar(path: string): Uint8Array {
  const r = Bun.spawnSync(["tar", "--numeric-owner", "-C", "/", "-cf", "-", path], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`tar ${path}: ${r.stderr.toString()}`);
  return r.stdout;
}

export interface BigImage {
  layoutDir: string;
  /** The gzip layer files, for the `tar -xzf` floor. */
  layerFiles: string[];
  uncompressedBytes: number;
}

export function writeBigImage(dir: string): BigImage {
  const blobs = join(dir, "layout", "blobs", "sha256");
  mkdirSync(blobs, { recursive: true });
  const put = (bytes: Uint8Array) => {
    const digest = sha256(bytes);
    writeFileSync(join(blobs, digest.slice(7)), bytes);
    return digest;
  };
  const tars = [tarBytes(busyboxLayer()), ...BIG_LAYER_SOURCES.map(hostTar)];
  const layers = tars.map((tar) => {
    const gz = gzipSync(tar, { level: 6 });
    return { diffId: sha256(tar), digest: put(gz), size: gz.length };
  });
  const config = new TextEncoder().encode(JSON.stringify({
    architecture: "amd64", os: "linux",
    config: { Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: ["sh"] },
    rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
  }));
  const manifest = new TextEncoder().encode(JSON.stringify({
    schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: put(config), size: config.length },
    layers: layers.map((l) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: l.digest, size: l.size })),
  }));
  const manifestDigest = put(manifest);
  writeFileSync(join(dir, "layout", "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(join(dir, "layout", "index.json"), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", digest: manifestDigest, size: manifest.length,
      annotations: { "org.opencontainers.image.ref.name": "big" } }],
  }));
  return {
    layoutDir: join(dir, "layout"),
    layerFiles: layers.map((l) => join(blobs, l.digest.slice(7))),
    uncompressedBytes: tars.reduce((n, t) => n + t.length, 0),
  };
}

