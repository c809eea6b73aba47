/**
 * Housekeeping from the compiled binary in each identity mode: `container
 * prune` (running containers stay, stopped ones go, filters, the prompt),
 * `system df` (summary and -v), `system prune [-a]`, and the `rr container`
 * spellings of the container commands.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chownSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { integrationSkipReason, MODES, Sandbox, userIds, type Mode } from "../helpers/rr.ts";
import { writeFixtures, type FixtureFiles } from "../helpers/fixtures.ts";

const skip = integrationSkipReason();

describe.skipIf(!!skip).each(MODES)(`rr container prune / system (%s)${skip ? ` — skipped: ${skip}` : ""}`, (mode: Mode) => {
  let sb: Sandbox;
  let f: FixtureFiles;
  const children: ReturnType<typeof Bun.spawn>[] = [];
  beforeAll(() => {
    sb = new Sandbox();
    f = writeFixtures(sb);
  });
  afterAll(async () => {
    for (const c of children) c.kill("SIGKILL");
    await Promise.all(children.map((c) => c.exited));
    sb?.cleanup();
  });

  /** A fresh store for one test, owned by the mode's user, with busybox loaded. */
  const fresh = (name: string) => {
    const dir = sb.path(`${mode}-${name}`);
    mkdirSync(dir, { mode: 0o755 });
    if (mode !== "root") chownSync(dir, userIds()!.uid, userIds()!.gid);
    const env = { RR_ROOT: `${dir}/store` };
    const rr = (args: string[], stdin?: string) => sb.rr(mode, args, { env, stdin });
    const ok = (...args: string[]) => {
      const r = rr(args);
      if (r.code !== 0) throw new Error(`rr ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
      return r.stdout;
    };
    ok("load", "-i", f.busybox);
    return { env, root: `${dir}/store`, rr, ok };
  };

  /** Starts `rr run --name NAME busybox sleep 60` in the background and waits until ps shows it running. */
  const startRunning = async (s: ReturnType<typeof fresh>, name: string) => {
    const { argv, env } = sb.command(mode, ["run", "--name", name, "busybox", "sleep", "60"], s.env);
    const child = Bun.spawn(argv, { env, stdout: "ignore", stderr: "pipe" });
    children.push(child);
    for (let i = 0; i < 300 && !s.ok("ps", "-q", "--filter", `name=^${name}$`).trim(); i++) await Bun.sleep(50);
    expect(s.ok("ps", "--format", "{{.Names}}", "--filter", `name=^${name}$`)).toBe(`${name}\n`);
    return child;
  };

  /** Kills the foreground rr of a running container and waits until ps no longer shows it running (its process dies after rr). */
  const stopRunning = async (s: ReturnType<typeof fresh>, child: ReturnType<typeof Bun.spawn>, name: string) => {
    child.kill("SIGKILL");
    await child.exited;
    for (let i = 0; i < 300 && s.ok("ps", "-q", "--filter", `name=^${name}$`).trim(); i++) await Bun.sleep(50);
    expect(s.ok("ps", "-q", "--filter", `name=^${name}$`)).toBe("");
  };

  test("container prune removes exited and created containers and keeps the running one", async () => {
    const s = fresh("prune");
    s.ok("run", "--name", "done1", "busybox", "sh", "-c", "echo data > /file");
    s.ok("run", "--name", "done2", "busybox", "true");
    s.ok("create", "--name", "made", "busybox", "true");
    const running = await startRunning(s, "up");
    const ids = Object.fromEntries(s.ok("ps", "-a", "--no-trunc", "--format", "{{.Names}} {{.ID}}").trim().split("\n").map((l) => l.split(" ")));

    const declined = s.rr(["container", "prune"], "n\n");
    expect(declined.stdout).toBe("WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] \n");
    expect(s.ok("ps", "-a", "-q").trim().split("\n")).toHaveLength(4);

    const pruned = s.rr(["container", "prune"], "y\n");
    expect(pruned.code).toBe(0);
    const expected = [ids.made, ids.done2, ids.done1].join("\n");
    expect(pruned.stdout).toMatch(new RegExp(`^WARNING! This will remove all stopped containers\\.\nAre you sure you want to continue\\? \\[y/N\\] Deleted Containers:\n${expected}\n\nTotal reclaimed space: \\d+B\n$`));
    expect(s.ok("ps", "-a", "--format", "{{.Names}} {{.State}}")).toBe("up running\n");
    expect(readdirSync(`${s.root}/containers`).filter((n) => /^[0-9a-f]{64}$/.test(n))).toEqual([ids.up]);
    expect(existsSync(`${s.root}/containers/names/done1`)).toBe(false);
    expect(readdirSync(`${s.root}/tmp`)).toEqual([]);
    expect(s.ok("container", "prune", "-f")).toBe("Total reclaimed space: 0B\n");
    await stopRunning(s, running, "up");
    s.ok("run", "--name", "done1", "busybox", "true"); // the pruned name is free again
  });

  test("container prune --filter: label=, label!=, until=; a bad filter changes nothing", () => {
    const s = fresh("filters");
    s.ok("run", "--name", "keep", "-l", "keep=yes", "busybox", "true");
    s.ok("run", "--name", "other", "-l", "team=a", "busybox", "true");
    s.ok("run", "--name", "plain", "busybox", "true");
    expect(s.ok("container", "prune", "-f", "--filter", "until=1h")).toBe("Total reclaimed space: 0B\n"); // all newer than an hour
    expect(s.ok("container", "prune", "-f", "--filter", "label=team=a")).toMatch(/^Deleted Containers:\n[0-9a-f]{64}\n\n/);
    expect(s.ok("ps", "-a", "--format", "{{.Names}}")).toBe("plain\nkeep\n");
    s.ok("container", "prune", "-f", "--filter", "label!=keep");
    expect(s.ok("ps", "-a", "--format", "{{.Names}}")).toBe("keep\n");
    const bad = s.rr(["container", "prune", "-f", "--filter", "colour=red"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toStartWith("rr: invalid filter 'colour'\n");
    const badUntil = s.rr(["container", "prune", "-f", "--filter", "until=someday"]);
    expect(badUntil.code).toBe(1);
    expect(badUntil.stderr).toContain('invalid timestamp "someday"');
    expect(s.ok("ps", "-a", "--format", "{{.Names}}")).toBe("keep\n");
    s.ok("container", "prune", "-f", "--filter", `until=${Math.floor(Date.now() / 1000) + 60}`);
    expect(s.ok("ps", "-a", "-q")).toBe("");
  });

  test("system df: images, containers, volumes and build cache; -v lists each", async () => {
    const s = fresh("df");
    s.ok("load", "-i", f.multi);
    s.ok("run", "--name", "writer", "busybox", "sh", "-c", "head -c 5000 /dev/zero > /blob");
    const running = await startRunning(s, "idle");
    const out = s.ok("system", "df");
    const rows = out.trim().split("\n").map((l) => l.split(/ {2,}/));
    expect(rows[0]).toEqual(["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"]);
    expect(rows[1]!.slice(0, 3)).toEqual(["Images", "2", "1"]);
    expect(rows[1]![3]).toMatch(/^\d+(\.\d+)?MB$/);
    expect(rows[2]!.slice(0, 3)).toEqual(["Containers", "2", "1"]);
    const copy = s.ok("inspect", "-f", "{{.Driver}}", "writer").trim() === "copy";
    if (!copy) expect(rows[2]!.slice(3)).toEqual(["5kB", "5kB (100%)"]);
    expect(rows[3]).toEqual(["Local Volumes", "0", "0", "0B", "0B"]);
    expect(rows[4]).toEqual(["Build Cache", "0", "0", "0B", "0B"]);
    expect(JSON.parse(s.ok("system", "df", "--format", "json").split("\n")[1]!)).toMatchObject({ Type: "Containers", TotalCount: "2", Active: "1" });

    const verbose = s.ok("system", "df", "-v");
    expect(verbose).toStartWith("Images space usage:\n\nREPOSITORY   TAG       IMAGE ID       CREATED       SIZE      SHARED SIZE   UNIQUE SIZE   CONTAINERS\n");
    expect(verbose).toMatch(/\nbusybox +latest +[0-9a-f]{12} +\S.* ago +2\.1\dMB +0B +2\.1\d+MB +2\n/);
    expect(verbose).toMatch(/\nmulti +latest +[0-9a-f]{12} +.* ago +\S+ +0B +\S+ +0\n/);
    expect(verbose).toContain("\n\nContainers space usage:\n\nCONTAINER ID   IMAGE     COMMAND                  LOCAL VOLUMES   SIZE      CREATED");
    if (!copy) expect(verbose).toMatch(/\n[0-9a-f]{12} +busybox +"sh -c 'head -c 5000…" +0 +5kB +.* ago +Exited \(0\) .* ago +writer\n/);
    expect(verbose).toEndWith("\n\nLocal Volumes space usage:\n\nVOLUME NAME   LINKS     SIZE\n\nBuild cache usage: 0B\n\nCACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   USAGE     SHARED\n");
    await stopRunning(s, running, "idle");
  });

  test("system prune: stopped containers and dangling images; -a every unused image; the running container stays", async () => {
    const s = fresh("sysprune");
    s.ok("load", "-i", f.multi);
    s.ok("run", "--name", "old", "multi", "true");
    const running = await startRunning(s, "busy");
    const multiId = s.ok("images", "-q", "--no-trunc", "multi").trim();

    const declined = s.rr(["system", "prune"], "\n");
    expect(declined.stdout).toBe("WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - all dangling images\n\nAre you sure you want to continue? [y/N] \n");
    expect(s.ok("ps", "-a", "-q").trim().split("\n")).toHaveLength(2);

    // nothing is dangling: the stopped container and the unused network go, the images stay
    s.ok("network", "create", "unused");
    const first = s.ok("system", "prune", "-f");
    expect(first).toMatch(/^Deleted Containers:\n[0-9a-f]{64}\n\nDeleted Networks:\nunused\n\nTotal reclaimed space: \d+(\.\d+)?k?B\n$/);
    expect(s.ok("network", "ls", "--format", "{{.Name}}").trim().split("\n")).toEqual(["bridge", "host", "none"]);
    expect(s.ok("images", "--format", "{{.Repository}}").trim().split("\n").sort()).toEqual(["busybox", "multi"]);

    const warnAll = s.rr(["system", "prune", "-a", "--filter", "label=x"], "no\n");
    expect(warnAll.stdout).toBe("WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - all images without at least one container associated to them\n\n  Items to be pruned will be filtered with:\n  - label=x\n\nAre you sure you want to continue? [y/N] \n");

    const all = s.ok("system", "prune", "-a", "-f");
    expect(all).toBe(`Deleted Images:\nuntagged: multi:latest\ndeleted: ${multiId}\n\n${all.split("\n").at(-2)}\n`);
    expect(all).toMatch(/Total reclaimed space: \d+(\.\d+)?MB\n$/);
    expect(s.ok("images", "--format", "{{.Repository}}")).toBe("busybox\n"); // the running container's image stays
    expect(s.ok("ps", "--format", "{{.Names}}")).toBe("busy\n");
    expect(readdirSync(`${s.root}/layers`)).toHaveLength(1);
    await stopRunning(s, running, "busy");
    expect(s.ok("system", "prune", "-a", "-f")).toMatch(/^Deleted Containers:\n[0-9a-f]{64}\n\nDeleted Images:\nuntagged: busybox:latest\n/);
    expect(s.ok("images", "-q")).toBe("");
    expect(readdirSync(`${s.root}/layers`)).toEqual([]);
  });

  test("rr container ls/list/ps/rm/inspect/rename/run are the top-level commands", () => {
    const s = fresh("aliases");
    s.ok("container", "run", "--name", "one", "busybox", "true");
    for (const ls of ["ls", "list", "ps"]) expect(s.ok("container", ls, "-a", "--format", "{{.Names}}")).toBe("one\n");
    s.ok("container", "rename", "one", "two");
    expect(s.ok("container", "inspect", "-f", "{{.Name}}", "two")).toBe("/two\n");
    expect(s.rr(["container", "inspect", "busybox"]).stderr).toBe("rr: No such container: busybox\n");
    expect(s.ok("container", "rm", "two")).toBe("two\n");
    const failed = s.rr(["container", "run", "--pull", "never", "nosuchimage"]);
    expect(failed.code).toBe(125);
    expect(failed.stderr).toStartWith("rr: No such image: nosuchimage\n");
    expect(s.ok("container", "ls", "--help")).toStartWith("Usage:  rr container ls [OPTIONS]\n");
    expect(s.ok("container", "--help")).toContain("\n  prune       Remove all stopped containers\n");
    expect(s.ok("system", "--help")).toContain("\n  df          Show rr disk usage\n");
    const bad = s.rr(["container", "frobnicate"]);
    expect(bad).toMatchObject({ code: 1, stderr: "rr: 'frobnicate' is not an rr container command\nSee 'rr container --help'.\n" });
    expect(s.rr(["system", "frobnicate"])).toMatchObject({ code: 1, stderr: "rr: 'frobnicate' is not an rr system command\nSee 'rr system --help'.\n" });
    expect(s.rr(["system"]).code).toBe(1);
  });
});
