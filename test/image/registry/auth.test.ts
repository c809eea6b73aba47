import { describe, expect, test } from "bun:test";
import { parseChallenges, repositoryScope } from "../../../src/image/registry/auth.ts";

describe("parseChallenges()", () => {
  test("reads Docker Hub's bearer challenge with a comma inside a quoted scope", () => {
    const [c] = parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull,push"');
    expect(c).toEqual({ scheme: "bearer", params: { realm: "https://auth.docker.io/token", service: "registry.docker.io", scope: "repository:library/busybox:pull,push" } });
  });
  test("reads a basic challenge and unquoted values", () => {
    expect(parseChallenges("Basic realm=rr-test")).toEqual([{ scheme: "basic", params: { realm: "rr-test" } }]);
  });
  test("splits several challenges and unescapes quoted pairs", () => {
    const cs = parseChallenges('Basic realm="a \\"b\\"", Bearer realm="https://t/x", service=s');
    expect(cs.map((c) => c.scheme)).toEqual(["basic", "bearer"]);
    expect(cs[0]!.params.realm).toBe('a "b"');
    expect(cs[1]!.params).toEqual({ realm: "https://t/x", service: "s" });
  });
  test("an empty header has no challenges", () => {
    expect(parseChallenges("")).toEqual([]);
  });
});

test("repositoryScope() builds the token spec's scope", () => {
  expect(repositoryScope("library/busybox", "pull")).toBe("repository:library/busybox:pull");
  expect(repositoryScope("a/b", "pull,push")).toBe("repository:a/b:pull,push");
});
