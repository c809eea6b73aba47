/**
 * OCI image documents (manifest, index, config) and the Docker media types
 * that mean the same thing, with the checks every parser must make.
 */
import { RrError } from "../errors.ts";
import { validateDigest } from "./reference.ts";

export const MediaType = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayer: "application/vnd.oci.image.layer.v1.tar",
  ociLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  ociLayerZstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  dockerLayer: "application/vnd.docker.image.rootfs.diff.tar",
  /** Foreign (Windows base) and non-distributable layers: fetched from their `urls`. */
  dockerForeignLayerGzip: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
  ociNondistributable: "application/vnd.oci.image.layer.nondistributable.v1.tar",
  ociNondistributableGzip: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
  ociNondistributableZstd: "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
} as const;

export const ANNOTATION_REF_NAME = "org.opencontainers.image.ref.name";
/** Docker 25+ `docker save` puts the full image name here. */
export const ANNOTATION_CONTAINERD_NAME = "io.containerd.image.name";

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform;
  urls?: string[];
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

/**
 * The runtime defaults an image carries (Docker's `Config`). JSON nulls are
 * turned into absent fields by parseConfig, so users test for undefined only.
 */
export interface ContainerConfig {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  Volumes?: Record<string, object>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  Healthcheck?: unknown;
  OnBuild?: string[];
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  variant?: string;
  config?: ContainerConfig;
  rootfs: { type: "layers"; diff_ids: string[] };
  history?: HistoryEntry[];
  /** Docker-only fields kept for `inspect`. */
  comment?: string;
  docker_version?: string;
}

export function isManifestType(t: string | undefined): boolean {
  return t === MediaType.ociManifest || t === MediaType.dockerManifest;
}

export function isIndexType(t: string | undefined): boolean {
  return t === MediaType.ociIndex || t === MediaType.dockerManifestList;
}

/** How a layer blob of this media type is compressed; throws for non-layers. */
export function layerCompression(mediaType: string): "none" | "gzip" | "zstd" {
  switch (mediaType) {
    case MediaType.ociLayer: case MediaType.dockerLayer: case MediaType.ociNondistributable: return "none";
    case MediaType.ociLayerGzip: case MediaType.dockerLayerGzip:
    case MediaType.dockerForeignLayerGzip: case MediaType.ociNondistributableGzip: return "gzip";
    case MediaType.ociLayerZstd: case MediaType.ociNondistributableZstd: return "zstd";
  }
  throw new RrError(`unsupported layer media type "${mediaType}"`);
}

export function layerMediaType(compression: "none" | "gzip" | "zstd"): string {
  return compression === "gzip" ? MediaType.ociLayerGzip : compression === "zstd" ? MediaType.ociLayerZstd : MediaType.ociLayer;
}

function invalid(what: string, why: string): never {
  throw new RrError(`invalid ${what}: ${why}`);
}

function parseJson(bytes: Uint8Array | string, what: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(typeof bytes === "string" ? bytes : Buffer.from(bytes).toString("utf8"));
  } catch (err) {
    invalid(what, `not JSON (${(err as Error).message})`);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) invalid(what, "not a JSON object");
  return doc as Record<string, unknown>;
}

export function checkDescriptor(d: unknown, what: string): Descriptor {
  const x = d as Descriptor;
  if (typeof x !== "object" || x === null) invalid(what, "descriptor is not an object");
  if (typeof x.mediaType !== "string") invalid(what, "descriptor has no mediaType");
  if (typeof x.digest !== "string") invalid(what, "descriptor has no digest");
  validateDigest(x.digest, `digest in ${what}`);
  if (!Number.isSafeInteger(x.size) || x.size < 0) invalid(what, `descriptor ${x.digest} has an invalid size`);
  return x;
}

/**
 * Parses a manifest. A document that has both `layers` and `manifests`, or
 * whose own mediaType contradicts the descriptor's, is refused
 * (CVE-2021-41190: ambiguous documents).
 */
export function parseManifest(bytes: Uint8Array | string, what = "manifest", descriptorType?: string): ImageManifest {
  const doc = parseJson(bytes, what);
  if ("manifests" in doc) invalid(what, "it has a \"manifests\" field (ambiguous between manifest and index)");
  if (doc.schemaVersion !== 2) invalid(what, `schemaVersion ${String(doc.schemaVersion)} is not supported`);
  if (doc.mediaType !== undefined && !isManifestType(doc.mediaType as string)) invalid(what, `mediaType "${String(doc.mediaType)}" is not a manifest`);
  if (descriptorType && doc.mediaType !== undefined && doc.mediaType !== descriptorType) {
    invalid(what, `mediaType "${String(doc.mediaType)}" contradicts the descriptor's "${descriptorType}"`);
  }
  const config = checkDescriptor(doc.config, `${what} config`);
  if (!Array.isArray(doc.layers)) invalid(what, "it has no layers array");
  const layers = (doc.layers as unknown[]).map((l, i) => checkDescriptor(l, `${what} layer ${i + 1}`));
  return { ...(doc as object), config, layers } as ImageManifest;
}

export function parseIndex(bytes: Uint8Array | string, what = "index", descriptorType?: string): ImageIndex {
  const doc = parseJson(bytes, what);
  if ("layers" in doc || "config" in doc) invalid(what, "it has \"layers\" or \"config\" (ambiguous between manifest and index)");
  if (doc.schemaVersion !== 2) invalid(what, `schemaVersion ${String(doc.schemaVersion)} is not supported`);
  if (doc.mediaType !== undefined && !isIndexType(doc.mediaType as string)) invalid(what, `mediaType "${String(doc.mediaType)}" is not an index`);
  if (descriptorType && doc.mediaType !== undefined && doc.mediaType !== descriptorType) {
    invalid(what, `mediaType "${String(doc.mediaType)}" contradicts the descriptor's "${descriptorType}"`);
  }
  if (!Array.isArray(doc.manifests)) invalid(what, "it has no manifests array");
  const manifests = (doc.manifests as unknown[]).map((m, i) => checkDescriptor(m, `${what} entry ${i + 1}`));
  return { ...(doc as object), manifests } as ImageIndex;
}

export function parseConfig(bytes: Uint8Array | string, what = "image config"): ImageConfig {
  const doc = parseJson(bytes, what) as unknown as ImageConfig;
  const rootfs = doc.rootfs as ImageConfig["rootfs"] | undefined;
  if (!rootfs || !Array.isArray(rootfs.diff_ids)) invalid(what, "it has no rootfs.diff_ids");
  rootfs.diff_ids.forEach((d, i) => {
    if (typeof d !== "string") invalid(what, `diff_id ${i + 1} is not a string`);
    validateDigest(d, `diff_id ${i + 1} in ${what}`);
  });
  if (doc.config === null) delete doc.config;
  if (doc.config !== undefined && (typeof doc.config !== "object" || Array.isArray(doc.config))) invalid(what, "config is not an object");
  if (doc.config) {
    const c = doc.config as Record<string, unknown>;
    for (const k of Object.keys(c)) if (c[k] === null) delete c[k];
    for (const k of ["Env", "Entrypoint", "Cmd", "OnBuild"]) {
      if (c[k] !== undefined && (!Array.isArray(c[k]) || (c[k] as unknown[]).some((x) => typeof x !== "string"))) {
        invalid(what, `config.${k} is not a list of strings`);
      }
    }
  }
  return doc;
}

/** The platform rr runs containers for: this machine's. */
export function hostPlatform(): Platform {
  const arch: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm", ia32: "386", ppc64: "ppc64le", s390x: "s390x", riscv64: "riscv64" };
  const p: Platform = { os: "linux", architecture: arch[process.arch] ?? process.arch };
  if (p.architecture === "arm64") p.variant = "v8";
  return p;
}

/** Picks this machine's entry from an index; undefined when there is none. */
export function selectPlatform(index: ImageIndex, want: Platform = hostPlatform()): Descriptor | undefined {
  const candidates = index.manifests.filter((m) => !m.platform || (m.platform.os === want.os && m.platform.architecture === want.architecture));
  // An exact variant match wins; arm64 images often omit "v8".
  return candidates.find((m) => m.platform?.variant === want.variant) ?? candidates.find((m) => m.platform) ?? candidates[0];
}
