/**
 * `rr image prune` in every identity mode (rootless, unpacked layers belong
 * to subordinate ids and go inside the user namespace), and the `rr image`
 * spellings of ls / rm / inspect.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chownSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { integrationSkipReason, MODES, Sandbox, userIds, type Mode } from "../helpers/rr.ts";
import { writeFixtures, type FixtureFiles } from "../helpers/fixtures.ts";

const skip = integrationSkipReason();

describe.skipIf(!!skip)(`rr image prune${skip ? ` — skipped: ${skip}` : ""}`, () => {
  let sb: Sandbox;
  let f: FixtureFiles;
  beforeAll(() => {
    sb = new Sandbox();
    f = writeFixtures(sb);
  });
  afterAll(() => sb?.cleanup());

  /** A fresh store for one test, owned by the mode's user. */
  const freshStore = (mode: Mode, name: string): { env: Record<string, string>; root: string } => {
    const dir = sb.path(`${mode}-${name}`);
    mkdirSync(dir, { mode: 0o755 });
    if (mode !== "root") chownSync(dir, userIds()!.uid, userIds()!.gid);
    return { env: { RR_ROOT: `${dir}/store` }, root: `${dir}/store` };
  };

  for (const mode of MODES) {
    test(`${mode}: prunes dangling images, then with -a every image no container uses`, () => {
      const { env, root } = freshStore(mode, "prune");
      const rr = (...args: string[]) => sb.ok(mode, args, { env });
      rr("load", "-i", f.busybox);
      rr("load", "-i", f.multi);
      const busyboxId = rr("images", "-q", "--no-trunc", "busybox").trim();
      expect(readdirSync(`${root}/layers`)).toHaveLength(3);
      rr("tag", "multi", "busybox"); // the old busybox loses its name: dangling
      expect(rr("images", "--format", "{{.Repository}}").split("\n").filter(Boolean).sort()).toEqual(["<none>", "busybox", "multi"]);

      const declined = sb.rr(mode, ["image", "prune"], { env, stdin: "n\n" });
      expect(declined.stdout).toStartWith("WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] ");
      expect(rr("images", "-q").split("\n").filter(Boolean)).toHaveLength(2);

      const pruned = rr("image", "prune", "-f");
      expect(pruned).toMatch(new RegExp(`^Deleted Images:\ndeleted: ${busyboxId}\n\nTotal reclaimed space: 2\\.1\\dMB\n$`));
      expect(existsSync(`${root}/blobs/sha256/${busyboxId.slice(7)}`)).toBe(false);
      expect(readdirSync(`${root}/layers`)).toHaveLength(2); // multi's two stay, busybox's went
      expect(readdirSync(`${root}/tmp`)).toEqual([]);
      expect(rr("image", "prune", "-f")).toBe("Total reclaimed space: 0B\n");

      // -a: an image a container uses stays; the unused one goes with its names
      rr("run", "--name", "keeper", "multi", "true");
      rr("load", "-i", f.busybox);
      const all = rr("image", "prune", "-a", "-f");
      expect(all).toMatch(new RegExp(`^Deleted Images:\nuntagged: busybox:latest\ndeleted: ${busyboxId}\n\nTotal reclaimed space: 2\\.1\\dMB\n$`));
      expect(rr("images", "--format", "{{.Repository}}:{{.Tag}}")).toBe("multi:latest\n");
      expect(readdirSync(`${root}/layers`)).toHaveLength(2);
      expect(sb.ok(mode, ["run", "--rm", "multi", "cat", "/data/keep"], { env })).toBe("kept\n");
    });
  }

  test("rr image ls / rm / inspect are images / rmi / inspect --type image", () => {
    const { env } = freshStore("root", "aliases");
    const rr = (...args: string[]) => sb.rr("root", args, { env });
    sb.ok("root", ["load", "-i", f.busybox], { env });
    expect(rr("image", "ls").stdout).toBe(rr("images").stdout);
    expect(rr("image", "inspect", "--format", "{{.Id}}", "busybox").stdout).toBe(rr("inspect", "--format", "{{.Id}}", "busybox").stdout);
    sb.ok("root", ["run", "--name", "ctr", "busybox", "true"], { env });
    const notImage = rr("image", "inspect", "ctr");
    expect(notImage.code).toBe(1);
    expect(notImage.stderr).toContain("No such image: ctr");
    expect(rr("image", "rm", "-f", "busybox").stdout).toBe("Untagged: busybox:latest\n"); // kept: ctr uses it
    const bad = rr("image", "frobnicate");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe("rr: 'frobnicate' is not an rr image command\nSee 'rr image --help'.\n");
  });
});
