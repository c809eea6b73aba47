/**
 * `rr ps` and `rr rename`: Docker's status texts, columns, `--format`
 * (table, json, Go templates with `{{.Label "k"}}`), every filter matching
 * and not, -a/-q/-n/-l/--no-trunc/-s; rename with its collisions. Unit
 * tests on records first (states no command makes yet), then the compiled
 * binary in each identity mode.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, symlinkSync, mkdirSync, readlinkSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compilePsFilter, type PsFilterContext } from "../../src/cli/container-filters.ts";
import { commandText, psRow, PS_HEADERS, statusText } from "../../src/cli/container-row.ts";
import { matchesAllLabels, matchesAny, parseFilters, parseTimestamp } from "../../src/cli/filter-args.ts";
import { renderTemplate } from "../../src/cli/go-template.ts";
import { ellipsis, goJson, goQuote, goTimeString, humanSizeTotal } from "../../src/cli/go-text.ts";
import { UsageError } from "../../src/errors.ts";
import { renameContainer } from "../../src/store/container-rename.ts";
import {
  createContainerRecord, listContainers, newContainerId, readContainer, type ContainerRecord,
} from "../../src/store/container-store.ts";
import { busyboxLayer, writeDockerArchive } from "../fixtures/images.ts";
import { writeFixtures } from "../helpers/fixtures.ts";
import { integrationSkipReason, MODES, Sandbox, type Mode } from "../helpers/rr.ts";

const NOW = Date.parse("2024-05-01T12:00:00Z");
const ago = (s: number) => new Date(NOW - s * 1000).toISOString();

function record(over: Partial<ContainerRecord> & { status?: ContainerRecord["state"]["status"] } = {}): ContainerRecord {
  const { status = "exited", ...rest } = over;
  return {
    id: newContainerId(), name: "c", image: "busybox", imageId: "sha256:" + "b".repeat(64), created: ago(120),
    command: ["true"], autoRemove: false, labels: {}, state: { status, exitCode: 0, startedAt: ago(100), finishedAt: ago(60) },
    request: { network: "host", mounts: [] }, ...rest,
  };
}

describe("ps status texts and columns", () => {
  test("Docker's State.String() for every state", () => {
    expect(statusText(record({ status: "running" }), NOW)).toBe("Up About a minute");
    expect(statusText(record({ status: "paused", state: { status: "paused", startedAt: ago(3) } }), NOW)).toBe("Up 3 seconds (Paused)");
    expect(statusText(record({ state: { status: "restarting", exitCode: 1, finishedAt: ago(2) } }), NOW)).toBe("Restarting (1) 2 seconds ago");
    expect(statusText(record({ state: { status: "created" } }), NOW)).toBe("Created");
    expect(statusText(record({ state: { status: "exited", exitCode: 3, finishedAt: ago(120) } }), NOW)).toBe("Exited (3) 2 minutes ago");
  });

  test("Command: arguments with spaces in single quotes, cut at 20 characters, Go-quoted", () => {
    const rec = record({ command: ["sh", "-c", "hostname; exit 3"] });
    expect(commandText(rec)).toBe("sh -c 'hostname; exit 3'");
    const row = psRow(rec, { now: NOW, trunc: true, image: () => "busybox" });
    expect(row.Command).toBe('"sh -c \'hostname; ex…"');
    expect(psRow(rec, { now: NOW, trunc: false, image: () => "busybox" }).Command).toBe('"sh -c \'hostname; exit 3\'"');
    expect(goQuote('a\tb"c\\')).toBe('"a\\tb\\"c\\\\"');
    expect(goQuote("café\x01")).toBe('"café\\x01"');
    expect(ellipsis("café ünïcödé long command", 20)).toBe("café ünïcödé long c…");
  });

  test("Image: an id cut to 12, a digest dropped, a registry kept", () => {
    const id = "sha256:" + "b".repeat(64);
    const image = (name: string, trunc = true) => psRow(record({ image: name, imageId: id }), { now: NOW, trunc, image: () => name }).Image;
    expect(image(id)).toBe("b".repeat(12));
    expect(image(id, false)).toBe(id);
    expect(image(`busybox@sha256:${"c".repeat(64)}`)).toBe("busybox");
    expect(image("docker.io/library/busybox:1.36")).toBe("busybox:1.36");
    expect(image("127.0.0.1:5000/a/bb:1")).toBe("127.0.0.1:5000/a/bb:1");
  });

  test("JSON has Docker's keys, sorted, with < > & escaped as Go does", () => {
    const rec = record({ name: "web", labels: { b: "<two>", a: "1" } });
    const json = goJson(psRow(rec, { now: NOW, trunc: true, image: () => "busybox" }));
    expect(Object.keys(JSON.parse(json))).toEqual([
      "Command", "CreatedAt", "ID", "Image", "Labels", "LocalVolumes", "Mounts", "Names", "Networks", "Platform",
      "Ports", "RunningFor", "Size", "State", "Status",
    ]);
    expect(json).toContain('"Labels":"a=1,b=\\u003ctwo\\u003e"');
    expect(json).toContain('"RunningFor":"2 minutes ago"');
    expect(json).toContain('"Size":"0B"');
  });

  test("{{.Label \"k\"}} is a method: image labels under the container's own, and a header from the key", () => {
    const rec = record({ labels: { "com.example.tier": "front" }, imageConfig: { Labels: { maintainer: "me", "com.example.tier": "img" } } });
    const row = psRow(rec, { now: NOW, trunc: true, image: () => "busybox" });
    expect(renderTemplate('{{.Label "com.example.tier"}}/{{.Label "maintainer"}}/{{.Label "none"}}', row)).toBe("front/me/");
    expect(renderTemplate("{{.Labels}}", row)).toBe("com.example.tier=front,maintainer=me");
    expect(renderTemplate('{{.Label "com.example.my-tier_x"}}', PS_HEADERS)).toBe("my tier x");
    expect(() => renderTemplate("{{.Label}}", row)).toThrow("wrong number of args for Label: want 1 got 0");
  });

  test("-s: the size and the virtual size", () => {
    const row = psRow(record(), { now: NOW, trunc: true, image: () => "busybox", size: { rw: 12345, rootFs: 2130000 } });
    expect(row.Size).toBe("12.3kB (virtual 2.13MB)");
    expect(humanSizeTotal(12345)).toBe("12.35kB");
  });

  test("CreatedAt is Go's time.String()", () => {
    expect(goTimeString(Date.parse("2024-05-01T12:00:00Z"))).toMatch(/^2024-05-01 \d\d:00:00 [+-]\d{4} \S+$/);
  });
});

describe("ps filters", () => {
  const web = record({ name: "web", created: ago(300), labels: { app: "web", tier: "front" }, state: { status: "exited", exitCode: 3, startedAt: ago(299), finishedAt: ago(290) } });
  const db = record({ name: "db", created: ago(200), labels: { app: "db" }, request: { network: "none", mounts: [{ type: "bind", source: "/srv/db", destination: "/data", readonly: false }] } });
  const fresh = record({ name: "fresh", created: ago(100), imageId: "sha256:" + "e".repeat(64), state: { status: "created" } });
  // live publishes host 8080 to its 80 and shows the image's 443 and its own --expose 53/udp unpublished
  const live = record({
    name: "live", created: ago(50), state: { status: "running", startedAt: ago(49) },
    ports: [{ hostIp: "127.0.0.1", hostPort: 8080, containerPort: 80, proto: "tcp" }],
    imageConfig: { ExposedPorts: { "443/tcp": {} } }, request: { network: "hadoop", mounts: [], expose: ["53/udp"] },
  });
  // a stopped container's ports are not shown, so no port filter matches it
  web.ports = [{ hostIp: "", hostPort: 9090, containerPort: 90, proto: "tcp" }];
  const all = [live, fresh, db, web];
  const HADOOP = "ab12".repeat(16), SPARK = "cd34".repeat(16), NONE = "ef56".repeat(16);
  const ctx: PsFilterContext = {
    containers: all,
    ancestorIds: (ref) => (ref === "busybox" ? ["sha256:" + "b".repeat(64)] : ref === "multi" ? ["sha256:" + "e".repeat(64)] : []),
    // live started on hadoop and was connected to spark; web (stopped) keeps its spark endpoint
    networksOf: (c) => (c === live ? [{ name: "hadoop", id: HADOOP }, { name: "spark", id: SPARK }]
      : c === web ? [{ name: "spark", id: SPARK }] : c === db ? [{ name: "none", id: NONE }] : []),
  };
  const pick = (...args: string[]) => {
    const f = compilePsFilter(parseFilters(args, ["ancestor", "before", "exited", "expose", "id", "label", "name", "network", "since", "status", "volume", "health", "publish", "is-task"]), ctx);
    return all.filter((c) => f.test(c)).map((c) => c.name);
  };

  test("status: each state, several ORed, and it implies --all", () => {
    expect(pick("status=exited")).toEqual(["db", "web"]);
    expect(pick("status=created")).toEqual(["fresh"]);
    expect(pick("status=running", "status=created")).toEqual(["live", "fresh"]);
    expect(pick("status=paused")).toEqual([]);
    expect(compilePsFilter(parseFilters(["status=exited"], ["status"]), ctx).impliesAll).toBe(true);
    expect(() => pick("status=sleeping")).toThrow("invalid filter 'status=sleeping'");
  });

  test("name: a substring or a regular expression, with or without the slash", () => {
    expect(pick("name=e")).toEqual(["live", "fresh", "web"]);
    expect(pick("name=^web$")).toEqual(["web"]);
    expect(pick("name=^/db$")).toEqual(["db"]);
    expect(pick("name=web", "name=db")).toEqual(["db", "web"]);
    expect(pick("name=nomatch")).toEqual([]);
    expect(pick("name=[")).toEqual([]); // an invalid expression matches nothing
  });

  test("label: a key, a key=value; every one must hold", () => {
    expect(pick("label=app")).toEqual(["db", "web"]);
    expect(pick("label=app=web")).toEqual(["web"]);
    expect(pick("label=app=web", "label=tier")).toEqual(["web"]);
    expect(pick("label=app=db", "label=tier")).toEqual([]);
    expect(pick("label=app=nope")).toEqual([]);
  });

  test("ancestor: the image's containers only; an unknown image matches none", () => {
    expect(pick("ancestor=busybox")).toEqual(["live", "db", "web"]);
    expect(pick("ancestor=multi")).toEqual(["fresh"]);
    expect(pick("ancestor=busybox", "ancestor=multi")).toEqual(["live", "fresh", "db", "web"]);
    expect(pick("ancestor=nosuch")).toEqual([]);
  });

  test("exited: containers that ran and exited with that code; created ones never", () => {
    expect(pick("exited=3")).toEqual(["web"]);
    expect(pick("exited=0")).toEqual(["db"]);
    expect(pick("exited=0", "exited=3")).toEqual(["db", "web"]);
    expect(pick("exited=9")).toEqual([]);
    expect(() => pick("exited=x")).toThrow("invalid filter 'exited=x'");
  });

  test("id, before, since, network, volume, and different keys ANDed", () => {
    expect(pick(`id=${web.id.slice(0, 8)}`)).toEqual(["web"]);
    expect(pick("id=zzzz")).toEqual([]);
    expect(pick("before=fresh")).toEqual(["db", "web"]);
    expect(pick(`since=${db.id.slice(0, 12)}`)).toEqual(["live", "fresh"]);
    expect(() => pick("before=nosuch")).toThrow("No such container: nosuch");
    expect(pick("network=none")).toEqual(["db"]);
    expect(pick("volume=/data")).toEqual(["db"]);
    expect(pick("volume=/srv/db")).toEqual(["db"]);
    expect(pick("volume=/other")).toEqual([]);
    expect(pick("status=exited", "label=app=db")).toEqual(["db"]);
    expect(pick("status=running", "label=app")).toEqual([]);
    expect(pick("health=none")).toHaveLength(4);
    expect(pick("health=healthy")).toEqual([]);
    expect(pick("publish=80")).toEqual([]);
  });

  test("network: any network the container is on, by exact name or by id prefix, stopped containers too", () => {
    expect(pick("network=spark")).toEqual(["live", "web"]);
    expect(pick("network=hadoop")).toEqual(["live"]);
    expect(pick(`network=${HADOOP}`)).toEqual(["live"]);
    expect(pick(`network=${SPARK.slice(0, 6)}`)).toEqual(["live", "web"]);
    expect(pick("network=had")).toEqual([]); // a name matches whole
    expect(pick("network=hadoop", "network=none")).toEqual(["live", "db"]);
    expect(pick(`network=${NONE.slice(0, 12)}`)).toEqual(["db"]);
  });

  test("publish: the host port; expose: the container port; of a running container, ranges and protos as Docker", () => {
    expect(pick("publish=8080")).toEqual(["live"]);
    expect(pick("publish=8080/tcp")).toEqual(["live"]);
    expect(pick("publish=8000-8100")).toEqual(["live"]);
    expect(pick("publish=80")).toEqual([]); // the container's port is not the published one
    expect(pick("publish=8080/udp")).toEqual([]);
    expect(pick("publish=9090")).toEqual([]); // web is stopped: its ports are gone, as Docker shows them
    expect(pick("expose=80")).toEqual(["live"]); // a published port is exposed too
    expect(pick("expose=443")).toEqual(["live"]);
    expect(pick("expose=53/udp")).toEqual(["live"]);
    expect(pick("expose=53")).toEqual([]);
    expect(pick("expose=8080")).toEqual([]);
    expect(pick("expose=40-79")).toEqual([]);
    expect(pick("publish=1", "expose=443")).toEqual(["live"]); // the two keys are ORed, as in daemon/list.go
    expect(pick("publish=1", "publish=8080")).toEqual(["live"]);
  });

  test("publish and expose: a bad value is a one-line usage error", () => {
    expect(() => pick("publish=8080:80")).toThrow("filter for 'publish' should not contain ':': 8080:80");
    for (const bad of ["http", "/udp", "70000", "90-80", "1-2-3", "-1"]) {
      expect(() => pick(`expose=${bad}`)).toThrow(new UsageError(`invalid filter 'expose=${bad}': expected PORT[/PROTO] or START-END[/PROTO]`));
    }
  });

  test("bad filters: a key without a value, an unknown key", () => {
    expect(() => parseFilters(["status"], ["status"])).toThrow('invalid argument "status" for "-f, --filter" flag: bad format of filter (expected name=value)');
    expect(() => parseFilters(["colour=red"], ["status"])).toThrow(UsageError);
    expect(() => parseFilters(["colour=red"], ["status"])).toThrow("invalid filter 'colour'");
    expect(parseFilters(["Name = web "], ["name"]).get("name")).toEqual(["web"]);
  });

  test("filter helpers: exact or regexp, label lists, timestamps", () => {
    expect(matchesAny(["^a.c$"], "abc")).toBe(true);
    expect(matchesAny(["x"], "abc")).toBe(false);
    expect(matchesAllLabels(["a", "b=2"], { a: "1", b: "2" })).toBe(true);
    expect(matchesAllLabels(["b=3"], { a: "1", b: "2" })).toBe(false);
    expect(parseTimestamp("90m", NOW)).toBe(NOW - 90 * 60_000);
    expect(parseTimestamp("1h30m", NOW)).toBe(NOW - 90 * 60_000);
    expect(parseTimestamp("1700000000", NOW)).toBe(1_700_000_000_000);
    expect(parseTimestamp("2024-01-01T00:00:00Z", NOW)).toBe(Date.parse("2024-01-01T00:00:00Z"));
    expect(() => parseTimestamp("yesterday")).toThrow('invalid timestamp "yesterday"');
  });
});

describe("renameContainer()", () => {
  let root = "";
  beforeAll(() => { root = mkdtempSync(join(tmpdir(), "rr-rename-")); });
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const make = (name: string) => createContainerRecord(root, { ...record(), id: newContainerId(), name });
  const link = (name: string) => readlinkSync(join(root, "containers", "names", name)).split("@")[0];

  test("moves the reservation and the record together", () => {
    const a = make("alpha");
    renameContainer(root, a.id, "beta");
    expect(readContainer(root, a.id).name).toBe("beta");
    expect(link("beta")).toBe(a.id);
    expect(existsSync(join(root, "containers", "names", "alpha"))).toBe(false);
    make("alpha"); // the old name is free again
  });

  test("a taken, invalid or unchanged name changes nothing", () => {
    const a = make("gamma");
    const b = make("delta");
    expect(() => renameContainer(root, a.id, "delta")).toThrow(`the container name "/delta" is already in use by container "${b.id}"`);
    expect(() => renameContainer(root, a.id, "bad/name")).toThrow('invalid container name "bad/name"');
    expect(() => renameContainer(root, a.id, "gamma")).toThrow("to its current name");
    expect(readContainer(root, a.id).name).toBe("gamma");
    expect(link("gamma")).toBe(a.id);
    expect(link("delta")).toBe(b.id);
  });

  test("a claim left by a rename killed half-way (dead pid, record named otherwise) is taken over", () => {
    const a = make("epsilon");
    const b = make("zeta");
    mkdirSync(join(root, "containers", "names"), { recursive: true });
    // b's rename to "eta" died after reserving it: the claim names b, b is still "zeta"
    symlinkSync(`${b.id}@999999999`, join(root, "containers", "names", "eta"));
    renameContainer(root, a.id, "eta");
    expect(link("eta")).toBe(a.id);
    expect(listContainers(root).filter((c) => c.name === "eta").map((c) => c.id)).toEqual([a.id]);
  });
});

const skip = integrationSkipReason();

describe.skipIf(!!skip).each(MODES)(`rr ps (%s)${skip ? ` — skipped: ${skip}` : ""}`, (mode: Mode) => {
  let sb: Sandbox;
  let live: ReturnType<typeof Bun.spawn> | undefined;
  const rr = (...args: string[]) => sb.rr(mode, args);
  const ok = (...args: string[]) => sb.ok(mode, args);
  const lines = (text: string) => text.split("\n").filter(Boolean);
  const names = (...args: string[]) => lines(ok("ps", "--format", "{{.Names}}", ...args));

  beforeAll(async () => {
    sb = new Sandbox();
    const f = writeFixtures(sb);
    ok("load", "-i", f.busybox);
    ok("load", "-i", f.multi);
    // an image built on busybox: `ancestor=busybox` takes in its containers too
    const child = sb.path("child.tar");
    writeDockerArchive(child, { repoTags: ["child:1"], layers: [busyboxLayer(), [{ type: "file", path: "etc/child", data: "x\n", mode: 0o644, mtime: 1_700_000_000 }]] });
    Bun.spawnSync(["chmod", "644", child]);
    ok("load", "-i", child);
    sb.rr(mode, ["run", "--name", "web", "-l", "app=web", "-l", "tier=front", "busybox", "sh", "-c", "echo hello > /greeting; exit 3"]);
    ok("run", "--name", "db", "-l", "app=db", "busybox", "true");
    ok("run", "--name", "kid", "child:1", "true");
    ok("create", "--name", "fresh", "multi", "true");
    const { argv, env } = sb.command(mode, ["run", "--name", "live", "busybox", "sleep", "60"]);
    live = Bun.spawn(argv, { env, stdout: "ignore", stderr: "pipe" });
    for (let i = 0; i < 300 && !rr("ps", "-q").stdout.trim(); i++) await Bun.sleep(50);
  });
  afterAll(async () => {
    live?.kill("SIGKILL");
    await live?.exited;
    sb?.cleanup();
  });

  test("without -a only the running container, in Docker's table", () => {
    const out = lines(ok("ps"));
    expect(out[0]).toMatch(/^CONTAINER ID {3}IMAGE {5}COMMAND {3,}CREATED {3,}STATUS {3,}PORTS {5}NAMES$/);
    expect(out).toHaveLength(2);
    expect(out[1]).toMatch(/^[0-9a-f]{12} {3}busybox {3}"sleep 60" {2,}\S.* ago {2,}Up .* live$/);
  });

  test("-a: every container newest first, with Docker's status texts", () => {
    expect(names("-a")).toEqual(["live", "fresh", "kid", "db", "web"]);
    const status = Object.fromEntries(lines(ok("ps", "-a", "--format", "{{.Names}}={{.Status}}={{.State}}")).map((l) => l.split("=").slice(0, 3)).map(([n, s, st]) => [n, `${s}|${st}`]));
    expect(status.live).toMatch(/^Up .*\|running$/);
    expect(status.fresh).toBe("Created|created");
    expect(status.db).toMatch(/^Exited \(0\) .* ago\|exited$/);
    expect(status.web).toMatch(/^Exited \(3\) .* ago\|exited$/);
    expect(ok("ps", "-a")).toContain(`"sh -c 'echo hello >…"`);
  });

  test("-q, --no-trunc, -n, -l", () => {
    const ids = lines(ok("ps", "-a", "-q"));
    expect(ids).toHaveLength(5);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{12}$/);
    const full = lines(ok("ps", "-a", "-q", "--no-trunc"));
    expect(full.map((i) => i.slice(0, 12))).toEqual(ids);
    for (const id of full) expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(names("-n", "2")).toEqual(["live", "fresh"]);
    expect(names("-l")).toEqual(["live"]);
    expect(names("-n", "3", "--filter", "status=exited")).toEqual(["kid", "db", "web"]);
    const bad = rr("ps", "-n", "x");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('invalid argument "x" for "-n, --last" flag');
  });

  test("--format json, Go templates and table templates", () => {
    const json = lines(ok("ps", "-a", "--format", "json")).map((l) => JSON.parse(l));
    expect(json).toHaveLength(5);
    const web = json.find((j) => j.Names === "web");
    expect(web).toMatchObject({ Image: "busybox", Labels: "app=web,tier=front", State: "exited", Networks: "slirp4netns", Ports: "", Size: "0B", LocalVolumes: "0" });
    expect(web.ID).toMatch(/^[0-9a-f]{12}$/);
    expect(web.Command).toBe(`"sh -c 'echo hello >…"`);
    expect(web.CreatedAt).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} \S+$/);
    expect(ok("ps", "-a", "--filter", "name=^web$", "--format", '{{.Names}} {{.Label "app"}} {{.Label "tier"}} {{.Label "none"}}!')).toBe("web web front !\n");
    expect(ok("ps", "-a", "--filter", "name=^db$", "--format", "{{json .Labels}} {{.Image}} {{.Mounts}}")).toBe('"app=db" busybox \n');
    const table = lines(ok("ps", "-a", "--format", "table {{.ID}}\t{{.Names}}"));
    expect(table[0]).toBe("CONTAINER ID   NAMES");
    expect(table.slice(1).map((l) => l.split(/ +/)[1])).toEqual(["live", "fresh", "kid", "db", "web"]);
    // the default table (printed without the template engine) is Docker's default template, -s adds SIZE
    const cells = (text: string) => lines(text).map((l) => l.split(/ {2,}/).map((c) => c.replace(/^(Less than a second|About an? \w+|\d+ \w+)/, "T").replace(/\) (Less than a second|About an? \w+|\d+ \w+)/, ") T")));
    const docker = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";
    expect(cells(ok("ps", "-a"))).toEqual(cells(ok("ps", "-a", "--format", docker)));
    expect(cells(ok("ps", "-a", "-s"))).toEqual(cells(ok("ps", "-a", "--format", `${docker}\t{{.Size}}`)));
    expect(cells(ok("ps", "-a", "--format", "table"))).toEqual(cells(ok("ps", "-a")));
    const warned = rr("ps", "-q", "--format", "{{.Names}}");
    expect(warned.stderr).toBe("WARNING: Ignoring custom format, because both --format and --quiet are set.\n");
    expect(lines(warned.stdout)[0]).toMatch(/^[0-9a-f]{12}$/);
    const badTemplate = rr("ps", "--format", "{{.Nope");
    expect(badTemplate.code).toBe(1);
  });

  test("filters through the binary: status, name, label, ancestor, exited, id", () => {
    expect(names("--filter", "status=exited")).toEqual(["kid", "db", "web"]); // status implies -a
    expect(names("--filter", "status=created")).toEqual(["fresh"]);
    expect(names("--filter", "status=running")).toEqual(["live"]);
    expect(names("--filter", "status=paused")).toEqual([]);
    expect(names("-a", "--filter", "name=we")).toEqual(["web"]);
    expect(names("-a", "--filter", "name=^/?db$", "--filter", "name=fresh")).toEqual(["fresh", "db"]);
    expect(names("-a", "--filter", "label=app")).toEqual(["db", "web"]);
    expect(names("-a", "--filter", "label=app=web")).toEqual(["web"]);
    expect(names("-a", "--filter", "label=app=nope")).toEqual([]);
    expect(names("-a", "--filter", "ancestor=busybox")).toEqual(["live", "kid", "db", "web"]);
    expect(names("-a", "--filter", "ancestor=child:1")).toEqual(["kid"]);
    expect(names("-a", "--filter", "ancestor=multi:latest")).toEqual(["fresh"]);
    const busyboxId = ok("images", "-q", "busybox").trim();
    expect(names("-a", "--filter", `ancestor=${busyboxId}`)).toEqual(["live", "kid", "db", "web"]);
    expect(names("-a", "--filter", "ancestor=nosuch")).toEqual([]);
    expect(names("-a", "--filter", "exited=3")).toEqual(["web"]);
    expect(names("-a", "--filter", "exited=0")).toEqual(["kid", "db"]);
    expect(names("--filter", "exited=3")).toEqual([]); // exited does not imply -a, as in Docker
    const webId = ok("ps", "-a", "-q", "--filter", "name=^web$").trim();
    expect(names("-a", "--filter", `id=${webId.slice(0, 6)}`)).toEqual(["web"]);
    expect(names("-a", "--filter", "status=exited", "--filter", "label=app=db")).toEqual(["db"]);
    const bad = rr("ps", "--filter", "colour=red");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toStartWith("rr: invalid filter 'colour'\n");
    const badStatus = rr("ps", "--filter", "status=asleep");
    expect(badStatus.code).toBe(1);
    expect(badStatus.stderr).toStartWith("rr: invalid filter 'status=asleep'\n");
  });

  test("-s adds SIZE: what the container wrote, and the image beside it", () => {
    const out = lines(ok("ps", "-a", "-s", "--filter", "name=^web$"));
    expect(out[0]).toEndWith("NAMES     SIZE");
    // overlay: its upper layer holds "hello\n"; copy: the whole root is the container's
    const copied = ok("inspect", "-f", "{{.Driver}}", "web").trim() === "copy";
    expect(out[1]).toMatch(copied ? /web +2\.1\dMB \(virtual 4\.\d+MB\)$/ : /web +6B \(virtual 2\.1\dMB\)$/);
    if (!copied) expect(ok("ps", "-a", "--filter", "name=^db$", "--format", "{{.Size}}")).toMatch(/^0B \(virtual 2\.1\dMB\)\n$/);
  });

  test("a listing longer than a pipe holds reaches a slow reader whole", () => {
    // 5 lines of 64 × 250 bytes: past the pipe's 64 KiB, which an exit before the flush used to cut
    const format = "{{.ID}}".repeat(250);
    const { argv, env } = sb.command(mode, ["ps", "-a", "--no-trunc", "--format", format]);
    const p = Bun.spawnSync(["sh", "-c", '"$@" | (sleep 0.5; wc -c)', "sh", ...argv], { env, stdout: "pipe", stderr: "pipe" });
    expect(p.stdout.toString().trim()).toBe(String(5 * (64 * 250 + 1)));
  });

  test("rename: renames, refuses a taken or invalid name, and works on a running container", () => {
    expect(rr("rename", "db", "database")).toMatchObject({ code: 0, stdout: "", stderr: "" });
    expect(names("-a", "--filter", "label=app=db")).toEqual(["database"]);
    const taken = rr("rename", "database", "web");
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/^rr: the container name "\/web" is already in use by container "[0-9a-f]{64}"\n/);
    const invalid = rr("rename", "database", "no/slash");
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('invalid container name "no/slash"');
    expect(rr("rename", "nosuch", "x")).toMatchObject({ code: 1, stderr: "rr: No such container: nosuch\n" });
    expect(rr("rename", "database")).toMatchObject({ code: 1 });
    expect(names("-a", "--filter", "label=app")).toEqual(["database", "web"]);
    ok("rename", "live", "live2");
    expect(names()).toEqual(["live2"]);
    ok("rename", "live2", "live");
    ok("rename", "database", "db");
    // the freed name is usable again
    ok("run", "--rm", "--name", "database", "busybox", "true");
  });
});
