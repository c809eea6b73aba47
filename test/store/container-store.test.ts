import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, symlinkSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import {
  createContainerRecord, detachContainerDir, findContainer, listContainers, newContainerId, updateContainerState,
} from "../../src/store/container-store.ts";

const root = mkdtempSync(join(tmpdir(), "rr-ctr-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const base = () => ({
  id: newContainerId(), image: "busybox", imageId: "sha256:x", created: new Date().toISOString(),
  command: ["true"], autoRemove: false, labels: {}, state: { status: "created" as const },
});

describe("container records", () => {
  test("a name can be taken once; the second claim names the owner", () => {
    const a = createContainerRecord(root, { ...base(), name: "web" });
    expect(() => createContainerRecord(root, { ...base(), name: "web" })).toThrow(`already in use by container "${a.id}"`);
  });

  test("twenty processes racing for one name: exactly one wins", async () => {
    const script = `
      import { createContainerRecord, newContainerId } from ${JSON.stringify(join(import.meta.dir, "../../src/store/container-store.ts"))};
      try {
        createContainerRecord(process.argv[2], { id: newContainerId(), name: "race", image: "i", imageId: "x", created: "", command: [], autoRemove: false, labels: {}, state: { status: "created" } });
        console.log("won");
      } catch { console.log("lost"); }`;
    const file = join(root, "race.ts");
    await Bun.write(file, script);
    const procs = Array.from({ length: 20 }, () => Bun.spawn([process.execPath, file, root], { stdout: "pipe" }));
    const outs = await Promise.all(procs.map((p) => new Response(p.stdout).text()));
    expect(outs.filter((o) => o.trim() === "won")).toHaveLength(1);
  });

  test("generated names are unique and Docker-shaped", () => {
    const names = Array.from({ length: 30 }, () => createContainerRecord(root, base()).name);
    expect(new Set(names).size).toBe(30);
    for (const n of names) expect(n).toMatch(/^[a-z]+_[a-z]+[0-9]*$/);
  });

  test("a reservation left by a killed rr (no record, process gone) is taken over", () => {
    mkdirSync(join(root, "containers", "names"), { recursive: true });
    symlinkSync(`${"f".repeat(64)}@999999999`, join(root, "containers", "names", "orphan"));
    expect(createContainerRecord(root, { ...base(), name: "orphan" }).name).toBe("orphan");
  });

  test("a reservation whose maker is still writing its record is respected", () => {
    symlinkSync(`${"e".repeat(64)}@${process.pid}`, join(root, "containers", "names", "inflight"));
    expect(() => createContainerRecord(root, { ...base(), name: "inflight" })).toThrow("already in use");
  });

  test("removing a container frees its name", () => {
    const c = createContainerRecord(root, { ...base(), name: "temp" });
    rmSync(detachContainerDir(root, c.id), { recursive: true });
    expect(createContainerRecord(root, { ...base(), name: "temp" }).name).toBe("temp");
  });

  test("findContainer() takes names, full ids and unique prefixes; refuses ambiguous ones", () => {
    const c = createContainerRecord(root, { ...base(), name: "findme" });
    expect(findContainer(root, "findme").id).toBe(c.id);
    expect(findContainer(root, c.id).id).toBe(c.id);
    expect(findContainer(root, c.id.slice(0, 12)).id).toBe(c.id);
    expect(() => findContainer(root, "nosuch")).toThrow("No such container: nosuch");
    const hexStart = listContainers(root).map((r) => r.id[0]).find((ch, _, all) => all.filter((x) => x === ch).length > 1)!;
    expect(() => findContainer(root, hexStart)).toThrow("multiple containers match");
  });

  test("a running record whose process is gone reads as exited", () => {
    const c = createContainerRecord(root, base());
    updateContainerState(root, c.id, { status: "running", pid: 999999999, pidStart: "1" });
    expect(findContainer(root, c.id).state.status).toBe("exited");
    expect(existsSync(join(root, "containers", c.id, "container.json"))).toBe(true);
  });
});
