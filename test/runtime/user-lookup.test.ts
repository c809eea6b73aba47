import { describe, expect, test } from "bun:test";
import { resolveUser } from "../../src/runtime/user-lookup.ts";
import { parseSubIdRanges } from "../../src/runtime/identity.ts";

const passwd = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n";
const group = "root:x:0:\nwheel:x:10:root,app\napp:x:1000:\n";

describe("resolveUser()", () => {
  test("defaults to root with its home", () => {
    expect(resolveUser(undefined, passwd, group)).toEqual({ uid: 0, gid: 0, home: "/root", additionalGids: [0, 10] });
  });
  test("resolves a name to its ids, home and supplementary groups", () => {
    expect(resolveUser("app", passwd, group)).toEqual({ uid: 1000, gid: 1000, home: "/home/app", additionalGids: [1000, 10] });
  });
  test("takes a group by name or number", () => {
    expect(resolveUser("app:wheel", passwd, group).gid).toBe(10);
    expect(resolveUser("app:55", passwd, group).gid).toBe(55);
  });
  test("accepts numeric ids that are not in passwd", () => {
    expect(resolveUser("4242:4343", passwd, group)).toEqual({ uid: 4242, gid: 4343, home: "/", additionalGids: [4343] });
  });
  test("an unknown name is a clear error", () => {
    expect(() => resolveUser("ghost", passwd, group)).toThrow("unable to find user ghost: no matching entries in passwd file");
    expect(() => resolveUser("app:ghosts", passwd, group)).toThrow("unable to find group ghosts");
  });
});

describe("parseSubIdRanges()", () => {
  test("finds a user's ranges by name or uid and ignores junk", () => {
    const text = "alice:100000:65536\n1001:300000:10\nbob:x:y\n\nalice:500000:5\n";
    expect(parseSubIdRanges(text, "alice", 1000)).toEqual([{ start: 100000, count: 65536 }, { start: 500000, count: 5 }]);
    expect(parseSubIdRanges(text, "carol", 1001)).toEqual([{ start: 300000, count: 10 }]);
    expect(parseSubIdRanges(text, "bob", 7)).toEqual([]);
  });
});
