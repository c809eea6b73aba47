/**
 * `rr inspect` of containers: Docker's ContainerJSON shape from the record,
 * the stored request and config.json; Go-template paths; --type; names
 * resolved containers first; unknown names. Unit tests on records for the
 * states no command makes yet, then the compiled binary in each mode.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { containerJson } from "../../src/cli/container-json.ts";
import { createContainerRecord, newContainerId, type ContainerRecord } from "../../src/store/container-store.ts";
import { writeFixtures } from "../helpers/fixtures.ts";
import { integrationSkipReason, MODES, Sandbox, type Mode } from "../helpers/rr.ts";

const ZERO = "0001-01-01T00:00:00Z";

describe("containerJson()", () => {
  let root = "";
  beforeAll(() => { root = mkdtempSync(join(tmpdir(), "rr-inspect-")); });
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const make = (over: Partial<ContainerRecord>): ContainerRecord => createContainerRecord(root, {
    id: newContainerId(), image: "busybox", imageId: "sha256:" + "b".repeat(64), created: "2024-05-01T12:00:00.000Z",
    command: ["sh", "-c", "sleep 1"], autoRemove: false, labels: { mine: "1" }, state: { status: "created" },
    imageConfig: { Env: ["PATH=/bin", "A=image"], Cmd: ["sh"], Labels: { fromImage: "yes", mine: "image" } },
    request: {
      image: "busybox", command: ["sh", "-c", "sleep 1"], env: ["A=mine", "B=2"], addHosts: ["db:10.0.0.2"], dns: [], mounts: [
        { type: "bind", source: "/srv", destination: "/data", readonly: true },
        { type: "tmpfs", destination: "/scratch", options: ["size=1m"] },
      ], capAdd: ["NET_ADMIN"], capDrop: [], privileged: false, noNewPrivileges: true, init: true, network: "none",
      resources: { memoryBytes: 64 << 20, cpus: 1.5, pidsLimit: 50 }, ulimits: [{ name: "nofile", soft: 10, hard: 20 }],
      labels: { mine: "1" }, restart: "no", interactive: true, tty: false, detach: false, readOnly: true, remove: false,
    },
    driver: "overlay", lowers: ["/l/2", "/l/1"], restartPolicy: { name: "on-failure", maximumRetryCount: 3 }, restartCount: 2,
    ...over,
  });

  test("a created container: never started, no generated files yet, its request in HostConfig and Config", () => {
    const rec = make({ name: "made" });
    const j = containerJson(root, rec) as Record<string, any>;
    expect(Object.keys(j)).toEqual([
      "Id", "Created", "Path", "Args", "State", "Image", "ResolvConfPath", "HostnamePath", "HostsPath", "LogPath", "Name",
      "RestartCount", "Driver", "Platform", "MountLabel", "ProcessLabel", "AppArmorProfile", "ExecIDs", "HostConfig",
      "GraphDriver", "Mounts", "Config", "NetworkSettings",
    ]);
    expect(j).toMatchObject({ Id: rec.id, Path: "sh", Args: ["-c", "sleep 1"], Name: "/made", RestartCount: 2, Driver: "overlay", ResolvConfPath: "" });
    expect(j.State).toEqual({
      Status: "created", Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false,
      Pid: 0, ExitCode: 0, Error: "", StartedAt: ZERO, FinishedAt: ZERO,
    });
    expect(j.HostConfig).toMatchObject({
      Binds: ["/srv:/data:ro"], NetworkMode: "none", RestartPolicy: { Name: "on-failure", MaximumRetryCount: 3 },
      CapAdd: ["NET_ADMIN"], CapDrop: null, ExtraHosts: ["db:10.0.0.2"], ReadonlyRootfs: true, SecurityOpt: ["no-new-privileges"],
      Tmpfs: { "/scratch": "size=1m" }, Memory: 64 << 20, NanoCpus: 1_500_000_000, PidsLimit: 50, Init: true,
      Ulimits: [{ Name: "nofile", Hard: 20, Soft: 10 }],
    });
    expect(j.GraphDriver).toEqual({
      Data: { LowerDir: "/l/2:/l/1", MergedDir: join(root, "containers", rec.id, "rootfs"), UpperDir: join(root, "containers", rec.id, "upper"), WorkDir: join(root, "containers", rec.id, "work") },
      Name: "overlay",
    });
    expect(j.Mounts).toEqual([
      { Type: "bind", Source: "/srv", Destination: "/data", Mode: "ro", RW: false, Propagation: "rprivate" },
      { Type: "tmpfs", Source: "", Destination: "/scratch", Mode: "", RW: true, Propagation: "" },
    ]);
    expect(j.Config).toMatchObject({
      Hostname: rec.id.slice(0, 12), Env: ["PATH=/bin", "A=mine", "B=2"], Cmd: ["sh", "-c", "sleep 1"], Image: "busybox",
      Labels: { fromImage: "yes", mine: "1" }, AttachStdin: true, AttachStdout: true, OpenStdin: true, StdinOnce: true, Entrypoint: null,
    });
    expect(Object.keys(j.NetworkSettings.Networks)).toEqual(["none"]);
  });

  test("a paused container is Running and Paused with its pid; a restarting one Running and Restarting", () => {
    const paused = containerJson(root, make({ state: { status: "paused", pid: 4242, startedAt: "2024-05-01T12:00:01Z" } })) as Record<string, any>;
    expect(paused.State).toMatchObject({ Status: "paused", Running: true, Paused: true, Restarting: false, Pid: 4242, StartedAt: "2024-05-01T12:00:01Z", FinishedAt: ZERO });
    const restarting = containerJson(root, make({ state: { status: "restarting", pid: 77, exitCode: 1 } })) as Record<string, any>;
    expect(restarting.State).toMatchObject({ Status: "restarting", Running: true, Restarting: true, ExitCode: 1 });
  });

  test("the copy driver has only a merged directory; -s adds SizeRw and SizeRootFs", () => {
    const rec = make({ driver: "copy" });
    mkdirSync(join(root, "containers", rec.id, "rootfs"), { recursive: true });
    const j = containerJson(root, rec, { rw: 10, rootFs: 20 }) as Record<string, any>;
    expect(j.GraphDriver).toEqual({ Data: { MergedDir: join(root, "containers", rec.id, "rootfs") }, Name: "copy" });
    expect(j).toMatchObject({ SizeRw: 10, SizeRootFs: 20 });
    expect(Object.keys(j).indexOf("SizeRw")).toBe(Object.keys(j).indexOf("GraphDriver") + 1);
  });
});

const skip = integrationSkipReason();

describe.skipIf(!!skip).each(MODES)(`rr inspect containers (%s)${skip ? ` — skipped: ${skip}` : ""}`, (mode: Mode) => {
  let sb: Sandbox;
  let live: ReturnType<typeof Bun.spawn> | undefined;
  let imageId = "";
  const rr = (...args: string[]) => sb.rr(mode, args);
  const ok = (...args: string[]) => sb.ok(mode, args);
  const one = (...args: string[]) => JSON.parse(ok("inspect", ...args))[0];

  beforeAll(async () => {
    sb = new Sandbox();
    const f = writeFixtures(sb);
    ok("load", "-i", f.busybox);
    imageId = ok("inspect", "-f", "{{.Id}}", "busybox").trim();
    const data = sb.path("data");
    mkdirSync(data, { mode: 0o755 });
    rr("run", "--name", "insp", "-e", "FOO=bar", "-l", "k=v", "-w", "/tmp", "-h", "myhost", "--cap-add", "NET_ADMIN",
      "-v", `${data}:/data:ro`, "--network", "none", "busybox", "sh", "-c", "exit 2");
    ok("create", "--name", "fresh", "busybox", "echo", "never");
    ok("run", "--name", "busybox", "busybox", "true"); // a container named like the image
    const { argv, env } = sb.command(mode, ["run", "--name", "live", "busybox", "sleep", "60"]);
    live = Bun.spawn(argv, { env, stdout: "ignore", stderr: "pipe" });
    for (let i = 0; i < 300 && !rr("ps", "-q").stdout.trim(); i++) await Bun.sleep(50);
  });
  afterAll(async () => {
    live?.kill("SIGKILL");
    await live?.exited;
    sb?.cleanup();
  });

  test("an exited container: Docker's shape, filled from what run was asked", () => {
    const j = one("insp");
    expect(j.Id).toMatch(/^[0-9a-f]{64}$/);
    expect(j).toMatchObject({ Name: "/insp", Path: "sh", Args: ["-c", "exit 2"], Image: imageId, Platform: "linux", RestartCount: 0 });
    expect(j.State).toMatchObject({ Status: "exited", Running: false, Paused: false, Pid: 0, ExitCode: 2 });
    expect(Date.parse(j.State.StartedAt)).toBeGreaterThan(Date.parse(j.Created) - 1);
    expect(Date.parse(j.State.FinishedAt)).toBeGreaterThanOrEqual(Date.parse(j.State.StartedAt));
    expect(j.Config).toMatchObject({
      Hostname: "myhost", Image: "busybox", WorkingDir: "/tmp", Labels: { k: "v" }, Cmd: ["sh", "-c", "exit 2"], Entrypoint: null,
      Tty: false, OpenStdin: false, AttachStdout: true,
    });
    expect(j.Config.Env).toContain("FOO=bar");
    expect(j.Config.Env.some((e: string) => e.startsWith("PATH="))).toBe(true);
    expect(j.HostConfig).toMatchObject({ NetworkMode: "none", CapAdd: ["NET_ADMIN"], Binds: [`${sb.path("data")}:/data:ro`], AutoRemove: false, Privileged: false });
    expect(j.HostConfig.MaskedPaths).toContain("/proc/kcore");
    expect(j.Mounts).toEqual([{ Type: "bind", Source: sb.path("data"), Destination: "/data", Mode: "ro", RW: false, Propagation: "rprivate" }]);
    expect(j.GraphDriver.Name).toBe(j.Driver);
    for (const p of [j.ResolvConfPath, j.HostnamePath, j.HostsPath]) expect(p).toStartWith(`${sb.storeRoot(mode)}/containers/${j.Id}/`);
    expect(j.LogPath).toBe(`${sb.storeRoot(mode)}/containers/${j.Id}/ctr.log`);
    expect(Object.keys(j.NetworkSettings.Networks)).toEqual(["none"]);
  });

  test("--format: State.Status, Config.Image, json of Config, several names", () => {
    expect(ok("inspect", "--format", "{{.State.Status}}", "insp")).toBe("exited\n");
    expect(ok("inspect", "-f", "{{.Config.Image}} {{.State.ExitCode}} {{.Name}}", "insp", "fresh")).toBe("busybox 2 /insp\nbusybox 0 /fresh\n");
    expect(JSON.parse(ok("inspect", "-f", "{{json .Config}}", "insp")).Labels).toEqual({ k: "v" });
    expect(ok("inspect", "-f", "{{index .Config.Cmd 0}}|{{.HostConfig.RestartPolicy.Name}}|{{.Config.Hostname}}", "insp")).toBe("sh|no|myhost\n");
  });

  test("a running container shows its pid and no finish time; a created one was never started", () => {
    const j = one("live");
    expect(j.State).toMatchObject({ Status: "running", Running: true, FinishedAt: "0001-01-01T00:00:00Z" });
    expect(j.State.Pid).toBeGreaterThan(1);
    expect(existsSync(`/proc/${j.State.Pid}`)).toBe(true);
    const c = one("fresh");
    expect(c.State).toMatchObject({ Status: "created", Running: false, StartedAt: "0001-01-01T00:00:00Z" });
    expect(c.Path).toBe("echo");
    expect(c.Args).toEqual(["never"]);
  });

  test("a name is a container before an image, unless --type says otherwise", () => {
    expect(one("busybox").State.Status).toBe("exited");
    expect(one("--type", "image", "busybox").Id).toBe(imageId);
    expect(one("--type", "container", "busybox").Name).toBe("/busybox");
    expect(ok("container", "inspect", "-f", "{{.Name}}", "busybox")).toBe("/busybox\n");
    const id = one("insp").Id as string;
    expect(one(id.slice(0, 10)).Name).toBe("/insp");
  });

  test("-s adds SizeRw and SizeRootFs", () => {
    const j = one("-s", "insp");
    expect(j.SizeRw).toBeGreaterThanOrEqual(0);
    expect(j.SizeRootFs).toBeGreaterThan(2_000_000);
    expect(one("insp").SizeRw).toBeUndefined();
  });

  test("unknown names: the found ones print, each missing one is an error line, exit 1", () => {
    expect(rr("inspect", "nosuch")).toMatchObject({ code: 1, stdout: "[]\n", stderr: "rr: No such object: nosuch\n" });
    const mixed = rr("inspect", "-f", "{{.Name}}", "insp", "nosuch", "other");
    expect(mixed).toMatchObject({ code: 1, stdout: "/insp\n", stderr: "rr: No such object: nosuch\nrr: No such object: other\n" });
    expect(rr("inspect", "--type", "container", "nosuch").stderr).toBe("rr: No such container: nosuch\n");
    expect(rr("inspect", "--type", "image", "insp").stderr).toBe("rr: No such image: insp\n");
    const badType = rr("inspect", "--type", "volume", "insp");
    expect(badType.code).toBe(1);
    expect(badType.stderr).toContain('"volume" is not a valid value for --type');
  });
});
