import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describeMapping, identityRecord, openStore } from "../../src/store/store.ts";
import { ROOT_IDENTITY, SINGLE_IDENTITY, SUBID_IDENTITY, tempDir, cleanTempDirs } from "./store-helpers.ts";

afterEach(cleanTempDirs);

const pathsFor = (root: string) => ({ root, runroot: join(root, "run"), config: join(root, "cfg") });

/** A pid that is certainly not running: a child that has exited. */
function deadPid(): number {
  const p = Bun.spawnSync(["true"]);
  return p.pid;
}

describe("openStore()", () => {
  test("creates an OCI image layout on first use, private to its owner", () => {
    const root = join(tempDir(), "store");
    const store = openStore(pathsFor(root), SUBID_IDENTITY);
    expect(JSON.parse(readFileSync(join(root, "oci-layout"), "utf8"))).toEqual({ imageLayoutVersion: "1.0.0" });
    expect(JSON.parse(readFileSync(join(root, "index.json"), "utf8")).manifests).toEqual([]);
    for (const d of ["", "blobs/sha256", "layers", "tmp"]) expect(existsSync(join(root, d))).toBe(true);
    expect(statSync(root).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(join(root, "identity.json"), "utf8"))).toEqual(identityRecord(SUBID_IDENTITY));
    expect(store.images.list()).toEqual([]);
  });

  test("opens again under the same mapping", () => {
    const root = join(tempDir(), "store");
    openStore(pathsFor(root), SINGLE_IDENTITY);
    expect(() => openStore(pathsFor(root), SINGLE_IDENTITY)).not.toThrow();
  });

  test("refuses a store made with another mapping, naming both and what to do", () => {
    const root = join(tempDir(), "store");
    openStore(pathsFor(root), SINGLE_IDENTITY);
    let err: unknown;
    try { openStore(pathsFor(root), SUBID_IDENTITY); } catch (e) { err = e; }
    const e = err as Error & { hint?: string };
    expect(e.message).toContain(`store "${root}" was made with the id mapping rootless-single (uids 0→1000)`);
    expect(e.message).toContain("but this rr runs with rootless (uids 0→1000, 1-65536→100000-165535)");
    expect(e.hint).toContain("--root");
    expect(() => openStore(pathsFor(root), ROOT_IDENTITY)).toThrow("root (no user namespace)");
  });

  test("describeMapping() shows single ids and ranges", () => {
    expect(describeMapping(identityRecord(ROOT_IDENTITY))).toBe("root (no user namespace)");
    expect(describeMapping(identityRecord(SINGLE_IDENTITY))).toBe("rootless-single (uids 0→1000)");
  });

  test("sweeps tmp entries of dead processes and keeps those of live ones", () => {
    const root = join(tempDir(), "store");
    openStore(pathsFor(root), ROOT_IDENTITY);
    const dead = deadPid();
    const tmp = join(root, "tmp");
    mkdirSync(join(tmp, `layer-${dead}-abc`, "deep"), { recursive: true });
    writeFileSync(join(tmp, `blob-${dead}-1-x`), "partial");
    writeFileSync(join(root, `.tmp-${dead}-1-index.json`), "{");
    writeFileSync(join(tmp, `blob-${process.pid}-1-x`), "mine, in progress");
    writeFileSync(join(tmp, "unrelated"), "not ours to judge");
    const store = openStore(pathsFor(root), ROOT_IDENTITY);
    expect(store.leftovers).toEqual([]);
    expect(existsSync(join(tmp, `layer-${dead}-abc`))).toBe(false);
    expect(existsSync(join(tmp, `blob-${dead}-1-x`))).toBe(false);
    expect(existsSync(join(root, `.tmp-${dead}-1-index.json`))).toBe(false);
    expect(existsSync(join(tmp, `blob-${process.pid}-1-x`))).toBe(true);
    expect(existsSync(join(tmp, "unrelated"))).toBe(true);
  });
});
