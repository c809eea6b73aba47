import { describe, expect, test } from "bun:test";
import { classifyManifest } from "../../../src/image/registry/manifest-response.ts";
import { MediaType } from "../../../src/image/image-config.ts";
import { parsePlatform } from "../../../src/image/pull.ts";
import { selectPlatform } from "../../../src/image/image-config.ts";

const D = "sha256:" + "a".repeat(64);
const manifest = (extra: object = {}) => Buffer.from(JSON.stringify({ schemaVersion: 2, config: { mediaType: MediaType.ociConfig, digest: D, size: 1 }, layers: [], ...extra }));
const index = (extra: object = {}) => Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [], ...extra }));

describe("classifyManifest()", () => {
  test("trusts the Content-Type when the document agrees", () => {
    expect(classifyManifest(manifest({ mediaType: MediaType.dockerManifest }), `${MediaType.dockerManifest}; charset=utf-8`, "m")).toBe(MediaType.dockerManifest);
    expect(classifyManifest(index(), MediaType.ociIndex, "m")).toBe(MediaType.ociIndex);
  });
  test("refuses a document whose mediaType contradicts the Content-Type (CVE-2021-41190)", () => {
    expect(() => classifyManifest(manifest({ mediaType: MediaType.ociManifest }), MediaType.ociIndex, "m")).toThrow(/contradicts the Content-Type/);
  });
  test("refuses a manifest that also has manifests, and an index that has layers", () => {
    expect(() => classifyManifest(manifest({ manifests: [] }), MediaType.ociManifest, "m")).toThrow(/ambiguous/);
    expect(() => classifyManifest(index({ layers: [] }), MediaType.ociIndex, "m")).toThrow(/ambiguous/);
  });
  test("a generic Content-Type falls back to the document's own type or shape", () => {
    expect(classifyManifest(index(), "application/json", "m")).toBe(MediaType.ociIndex);
    expect(classifyManifest(manifest(), null, "m")).toBe(MediaType.ociManifest);
  });
  test("schema 1 is refused with a hint, by type or by body", () => {
    expect(() => classifyManifest(Buffer.from("{}"), "application/vnd.docker.distribution.manifest.v1+prettyjws", "m")).toThrow(/schema 1/);
    expect(() => classifyManifest(Buffer.from('{"schemaVersion":1}'), "application/json", "m")).toThrow(/schema 1/);
  });
  test("unknown media types and broken JSON are one-line errors", () => {
    expect(() => classifyManifest(manifest(), "application/vnd.example+json", "m")).toThrow('unsupported m media type "application/vnd.example+json"');
    expect(() => classifyManifest(Buffer.from("{"), MediaType.ociManifest, "m")).toThrow(/invalid m: not JSON/);
  });
});

describe("platforms", () => {
  test("parsePlatform() reads OS/ARCH[/VARIANT] and refuses the rest", () => {
    expect(parsePlatform("linux/arm64/v8")).toEqual({ os: "linux", architecture: "arm64", variant: "v8" });
    expect(parsePlatform("linux/amd64")).toEqual({ os: "linux", architecture: "amd64" });
    expect(() => parsePlatform("linux/arm/v7/x")).toThrow(/expected OS\/ARCH/);
    expect(() => parsePlatform("/amd64")).toThrow(/invalid platform/);
  });
  test("selectPlatform() prefers the exact variant", () => {
    const e = (architecture: string, variant?: string) => ({ mediaType: MediaType.ociManifest, digest: D, size: 1, platform: { os: "linux", architecture, variant } });
    const idx = { schemaVersion: 2 as const, manifests: [e("amd64"), e("arm", "v6"), e("arm", "v7"), e("arm64", "v8")] };
    expect(selectPlatform(idx, { os: "linux", architecture: "arm", variant: "v7" })!.platform!.variant).toBe("v7");
    expect(selectPlatform(idx, { os: "linux", architecture: "arm64", variant: "v8" })!.platform!.architecture).toBe("arm64");
    expect(selectPlatform(idx, { os: "linux", architecture: "s390x" })).toBeUndefined();
  });
});
