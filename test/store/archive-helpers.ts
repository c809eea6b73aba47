/** Hand-made image archives for the variants the shared fixtures do not cover. */
import { createHash } from "node:crypto";
import { tarBytes, type TarSpec } from "../../src/image/tar-writer.ts";

export const hex = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");

export function layerTar(files: Record<string, string>): Uint8Array {
  return tarBytes(Object.entries(files).map(([path, data]): TarSpec => ({ type: "file", path, data, mode: 0o644 })));
}

export function configFor(diffIds: string[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    architecture: "amd64", os: "linux", created: "2024-01-02T03:04:05Z",
    config: { Cmd: ["sh"] }, rootfs: { type: "layers", diff_ids: diffIds }, ...extra,
  });
}

/**
 * A docker-save archive. `blobLayout` writes Docker 25+'s shape (config and
 * layers under blobs/sha256, plus oci-layout and index.json).
 */
export function dockerArchive(opts: {
  layers: Uint8Array[]; diffIds?: string[]; repoTags?: string[]; blobLayout?: boolean; duplicateAsSymlink?: boolean;
}): Uint8Array {
  const diffIds = opts.diffIds ?? opts.layers.map((l) => `sha256:${hex(l)}`);
  const config = configFor(diffIds);
  const entries: TarSpec[] = [];
  const layerPaths: string[] = [];
  let configPath: string;
  if (opts.blobLayout) {
    entries.push({ type: "file", path: "oci-layout", data: '{"imageLayoutVersion":"1.0.0"}' });
    entries.push({ type: "file", path: "index.json", data: JSON.stringify({ schemaVersion: 2, manifests: [] }) });
    entries.push({ type: "dir", path: "blobs/" }, { type: "dir", path: "blobs/sha256/" });
    configPath = `blobs/sha256/${hex(config)}`;
    for (const l of opts.layers) {
      const p = `blobs/sha256/${hex(l)}`;
      if (!layerPaths.includes(p)) entries.push({ type: "file", path: p, data: l });
      layerPaths.push(p);
    }
  } else {
    configPath = `${hex(config)}.json`;
    opts.layers.forEach((l, i) => {
      const dir = `${hex(l + String(i))}`;
      const first = opts.layers.findIndex((x) => hex(x) === hex(l));
      entries.push({ type: "dir", path: `${dir}/` });
      if (opts.duplicateAsSymlink && first < i) {
        entries.push({ type: "symlink", path: `${dir}/layer.tar`, linkname: `../${layerPaths[first]!.split("/")[0]}/layer.tar` });
      } else {
        entries.push({ type: "file", path: `${dir}/layer.tar`, data: l });
      }
      layerPaths.push(`${dir}/layer.tar`);
    });
  }
  entries.push({ type: "file", path: configPath, data: config });
  entries.push({ type: "file", path: "manifest.json", data: JSON.stringify([{ Config: configPath, RepoTags: opts.repoTags ?? null, Layers: layerPaths }]) });
  return tarBytes(entries);
}
