import { describe, expect, test } from "bun:test";
import { familiarize, parseReference, validateDigest } from "../../src/image/reference.ts";
import { UsageError } from "../../src/errors.ts";

const HEX = "a".repeat(64);

describe("parseReference()", () => {
  const cases: [string, string, string][] = [
    ["busybox", "docker.io/library/busybox:latest", "busybox:latest"],
    ["busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36"],
    ["library/busybox", "docker.io/library/busybox:latest", "busybox:latest"],
    ["docker.io/busybox", "docker.io/library/busybox:latest", "busybox:latest"],
    ["index.docker.io/library/busybox", "docker.io/library/busybox:latest", "busybox:latest"],
    ["foo/bar:v1", "docker.io/foo/bar:v1", "foo/bar:v1"],
    ["localhost/x", "localhost/x:latest", "localhost/x:latest"],
    ["localhost:5000/x:y", "localhost:5000/x:y", "localhost:5000/x:y"],
    ["quay.io/ns/sub/name:tag", "quay.io/ns/sub/name:tag", "quay.io/ns/sub/name:tag"],
    [`busybox@sha256:${HEX}`, `docker.io/library/busybox@sha256:${HEX}`, `busybox@sha256:${HEX}`],
    [`busybox:1@sha256:${HEX}`, `docker.io/library/busybox:1@sha256:${HEX}`, `busybox:1@sha256:${HEX}`],
    ["my-registry.example.com:443/a__b/c.d-e:T_1.x", "my-registry.example.com:443/a__b/c.d-e:T_1.x", "my-registry.example.com:443/a__b/c.d-e:T_1.x"],
  ];
  for (const [input, full, familiar] of cases) {
    test(`normalizes "${input}"`, () => {
      const ref = parseReference(input);
      expect(ref.toString()).toBe(full);
      expect(ref.familiar()).toBe(familiar);
    });
  }

  test("splits registry, repository, tag and digest", () => {
    const ref = parseReference(`localhost:5000/ns/x:y@sha256:${HEX}`);
    expect(ref.registry).toBe("localhost:5000");
    expect(ref.repository).toBe("ns/x");
    expect(ref.tag).toBe("y");
    expect(ref.digest).toBe(`sha256:${HEX}`);
    expect(ref.familiarName()).toBe("localhost:5000/ns/x");
  });

  test("keeps no tag when asked not to default it", () => {
    expect(parseReference("busybox", { defaultTag: false }).tag).toBeUndefined();
  });

  test("rejects an uppercase repository and says so", () => {
    expect(() => parseReference("Busybox")).toThrow('invalid reference "Busybox": repository name must be lowercase');
    expect(() => parseReference("foo/Bar")).toThrow("repository name must be lowercase");
  });

  test("names the part that breaks", () => {
    expect(() => parseReference("")).toThrow(UsageError);
    expect(() => parseReference("busybox:la!st")).toThrow('invalid tag "la!st"');
    expect(() => parseReference("a//b")).toThrow("empty path component");
    expect(() => parseReference("-abc")).toThrow('invalid repository component "-abc"');
    expect(() => parseReference("host:port/x")).toThrow('invalid port "port"');
    expect(() => parseReference("busybox@sha256:abc")).toThrow('invalid digest "sha256:abc"');
    expect(() => parseReference(`x/${"a".repeat(300)}`)).toThrow("longer than 255");
  });

  test("familiarize() shortens stored names and keeps what does not parse", () => {
    expect(familiarize("docker.io/library/busybox:latest")).toBe("busybox:latest");
    expect(familiarize("docker.io/library/a/b:1")).toBe("library/a/b:1");
    expect(familiarize("not a ref")).toBe("not a ref");
  });
});

describe("validateDigest()", () => {
  test("accepts sha256 with 64 hex and sha512 with 128 hex", () => {
    expect(validateDigest(`sha256:${HEX}`)).toEqual({ algorithm: "sha256", hex: HEX });
    expect(validateDigest(`sha512:${"b".repeat(128)}`).algorithm).toBe("sha512");
  });

  // CVE-2024-3727: a digest must be validated before it becomes a path.
  test("rejects digests that could become path tricks", () => {
    for (const bad of [
      `sha256:../../etc/passwd`, `sha256:${"a".repeat(63)}`, `sha256:${"A".repeat(64)}`, `sha256:${HEX}/..`,
      `md5:${"a".repeat(32)}`, HEX, `sha512:${HEX}`, `sha256:${HEX}\n`, `../sha256:${HEX}`,
    ]) {
      expect(() => validateDigest(bad)).toThrow(UsageError);
    }
  });
});
