/**
 * The plan for a container, checked as data: the skeleton order, masked
 * paths, resolution inside the root, and what each identity mode allows.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { buildSpec, commandLine, mergeEnv, MASKED_PATHS } from "../../src/runtime/spec.ts";
import { buildPlan, cloneFlagsFor } from "../../src/runtime/plan-builder.ts";
import { CLONE } from "../../src/sys/core.ts";
import { parseRunArgs } from "../../src/cli/run-options.ts";
import type { Identity } from "../../src/runtime/identity.ts";

const rootless: Identity = {
  mode: "rootless", uid: 1000, gid: 1000, user: "u",
  uidMap: [{ containerId: 0, hostId: 1000, size: 1 }, { containerId: 1, hostId: 100000, size: 65536 }],
  gidMap: [{ containerId: 0, hostId: 1000, size: 1 }, { containerId: 1, hostId: 100000, size: 65536 }],
};
const single: Identity = { ...rootless, mode: "rootless-single", uidMap: [rootless.uidMap[0]!], gidMap: [rootless.gidMap[0]!] };
const root: Identity = { mode: "root", uid: 0, gid: 0, user: "root", uidMap: [], gidMap: [] };

// bind sources are stat()ed on the host to pick a directory or a file mount point
const etc = mkdtempSync(join(tmpdir(), "rr-plan-"));
for (const f of ["hosts", "hostname", "resolv.conf"]) writeFileSync(join(etc, f), "");
afterAll(() => rmSync(etc, { recursive: true, force: true }));

function planFor(args: string[], identity: Identity = rootless, joined?: { user?: string; net?: string }) {
  const req = parseRunArgs([...args, "img"], {});
  const spec = buildSpec(req, { Cmd: ["sh"], Env: ["PATH=/bin"] }, {
    id: "c".repeat(64), identity, rootfs: "/store/c/rootfs", hostname: "h",
    user: { uid: 0, gid: 0, home: "/root", additionalGids: [0] },
    files: { hosts: join(etc, "hosts"), hostname: join(etc, "hostname"), resolvConf: join(etc, "resolv.conf") }, cgroupsPath: "rr-c",
    network: { newNetns: req.network !== "host" && !joined?.net, join: joined },
  });
  const plan = buildPlan(spec, {
    identity, rootfs: { driver: "overlay", lowers: ["/l/2", "/l/1"], upper: "/store/c/upper", work: "/store/c/work" },
    stdinAttached: false, init: false, dieWithParent: true,
  });
  return { spec, plan };
}

describe("buildPlan()", () => {
  test("mounts the overlay first, then opens the root, then works inside it", () => {
    const { plan } = planFor([]);
    expect(plan.ops[0]).toMatchObject({ type: "mount", fstype: "overlay", target: "/store/c/rootfs" });
    expect(plan.ops[0]!.data).toBe("lowerdir=/l/2:/l/1,upperdir=/store/c/upper,workdir=/store/c/work,userxattr");
    expect(plan.ops[1]).toMatchObject({ type: "open-root", source: "/store/c/rootfs" });
    for (const op of plan.ops.slice(2)) expect(op.inRoot).toBe(true);
  });

  test("targets inside the root are relative, never host paths", () => {
    const { plan } = planFor(["-v", "/tmp:/data"]);
    for (const op of plan.ops.slice(2)) expect(op.target!.startsWith("/")).toBe(false);
    expect(plan.ops.find((o) => o.source === "/tmp")).toMatchObject({ target: "data", type: "mount" });
  });

  test("masks Docker's paths and makes /proc/sys read-only", () => {
    const { plan } = planFor([]);
    const masked = plan.ops.filter((o) => o.type === "mask").map((o) => `/${o.target}`);
    expect(masked).toEqual(MASKED_PATHS);
    expect(plan.ops.some((o) => o.type === "remount-ro" && o.target === "proc/sys")).toBe(true);
  });

  test("--privileged masks nothing", () => {
    expect(planFor(["--privileged"]).plan.ops.some((o) => o.type === "mask")).toBe(false);
  });

  test("--read-only remounts the root last, after every mount point exists", () => {
    const { plan } = planFor(["--read-only"]);
    expect(plan.ops.at(-1)).toMatchObject({ type: "remount-ro", target: ".", noBind: true });
  });

  test("procfs and sysfs fall back to the host's, bound read-only", () => {
    const { plan } = planFor([]);
    expect(plan.ops.find((o) => o.fstype === "proc")?.fallback).toBe("/proc");
    expect(plan.ops.find((o) => o.fstype === "sysfs")?.fallback).toBe("/sys");
  });

  test("rootless-single cannot set supplementary groups and has no gid 5 for devpts", () => {
    const s = planFor([], single).plan;
    expect(s.flags).not.toContain("setGroups");
    expect(s.ops.find((o) => o.fstype === "devpts")!.data).not.toContain("gid=5");
    const r = planFor([], rootless).plan;
    expect(r.flags).toContain("setGroups");
    expect(r.ops.find((o) => o.fstype === "devpts")!.data).toContain("gid=5");
  });

  test("namespaces: a user namespace only when rootless, a network one for --network none", () => {
    expect(cloneFlagsFor(planFor([], root).spec) & CLONE.NEWUSER).toBe(0);
    expect(cloneFlagsFor(planFor([], rootless).spec) & CLONE.NEWUSER).toBe(CLONE.NEWUSER);
    expect(cloneFlagsFor(planFor(["--network", "none"]).spec) & CLONE.NEWNET).toBe(CLONE.NEWNET);
    expect(planFor(["--network", "none"]).plan.flags).toContain("loopbackUp");
  });

  test("joined namespaces (a network's holder, container:X) are named by path and never cloned", () => {
    const onNetwork = planFor([], rootless, { user: "/proc/7/ns/user" });
    expect(onNetwork.spec.linux.namespaces).toContainEqual({ type: "user", path: "/proc/7/ns/user" });
    expect(onNetwork.spec.linux.uidMappings).toEqual([]);
    expect(cloneFlagsFor(onNetwork.spec) & CLONE.NEWUSER).toBe(0);
    expect(cloneFlagsFor(onNetwork.spec) & CLONE.NEWNET).toBe(CLONE.NEWNET);
    const shared = planFor([], rootless, { user: "/proc/9/ns/user", net: "/proc/9/ns/net" });
    expect(cloneFlagsFor(shared.spec) & (CLONE.NEWNET | CLONE.NEWUSER)).toBe(0);
    expect(shared.plan.flags).not.toContain("loopbackUp"); // the other container's loopback is up already
    expect(planFor(["--network", "host"]).spec.linux.namespaces.some((n) => n.type === "network")).toBe(false);
  });

  test("stdin is /dev/null unless -i", () => {
    expect(planFor([]).plan.flags).toContain("stdinNull");
  });
});

describe("spec helpers", () => {
  test("commandLine() follows Docker's ENTRYPOINT and CMD rules", () => {
    const req = (a: string[]) => parseRunArgs([...a, "img"], {});
    const image = { Entrypoint: ["/entry"], Cmd: ["default"] };
    expect(commandLine(req([]), image)).toEqual(["/entry", "default"]);
    expect(commandLine({ ...req([]), command: ["x"] }, image)).toEqual(["/entry", "x"]);
    expect(commandLine(req(["--entrypoint", "/other"]), image)).toEqual(["/other"]);
    expect(commandLine(req(["--entrypoint", ""]), image)).toEqual([]);
  });
  test("mergeEnv() lets later lists win and keeps order", () => {
    expect(mergeEnv(["A=1", "B=2"], ["A=3"], ["C=4"])).toEqual(["A=3", "B=2", "C=4"]);
  });
});
