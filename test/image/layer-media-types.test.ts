import { describe, expect, test } from "bun:test";
import { layerCompression, MediaType } from "../../src/image/image-config.ts";

describe("layerCompression()", () => {
  test("maps every distributable layer type", () => {
    expect(layerCompression(MediaType.dockerLayerGzip)).toBe("gzip");
    expect(layerCompression(MediaType.ociLayer)).toBe("none");
    expect(layerCompression(MediaType.ociLayerZstd)).toBe("zstd");
  });
  test("maps foreign and non-distributable layers, which unpack like any other", () => {
    expect(layerCompression(MediaType.dockerForeignLayerGzip)).toBe("gzip");
    expect(layerCompression(MediaType.ociNondistributable)).toBe("none");
    expect(layerCompression(MediaType.ociNondistributableGzip)).toBe("gzip");
    expect(layerCompression(MediaType.ociNondistributableZstd)).toBe("zstd");
  });
  test("refuses an unknown type by name", () => {
    expect(() => layerCompression("application/x-mystery")).toThrow('unsupported layer media type "application/x-mystery"');
  });
});
