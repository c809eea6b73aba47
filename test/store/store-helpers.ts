/** Shared set-up for store tests: a fresh store in a temp dir, opened as root. */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Identity } from "../../src/runtime/identity.ts";
import { openStore, type Store } from "../../src/store/store.ts";

export const ROOT_IDENTITY: Identity = { mode: "root", uid: 0, gid: 0, user: "root", uidMap: [], gidMap: [] };

export const SINGLE_IDENTITY: Identity = {
  mode: "rootless-single", uid: 1000, gid: 1000, user: "u",
  uidMap: [{ containerId: 0, hostId: 1000, size: 1 }], gidMap: [{ containerId: 0, hostId: 1000, size: 1 }],
};

export const SUBID_IDENTITY: Identity = {
  mode: "rootless", uid: 1000, gid: 1000, user: "u",
  uidMap: [{ containerId: 0, hostId: 1000, size: 1 }, { containerId: 1, hostId: 100000, size: 65536 }],
  gidMap: [{ containerId: 0, hostId: 1000, size: 1 }, { containerId: 1, hostId: 100000, size: 65536 }],
};

const dirs: string[] = [];

/**
 * Removes the dirs tempDir() made. Each test file registers it with
 * `afterEach(cleanTempDirs)`: bun applies hooks only from the test file
 * itself and fires no process "exit" event.
 */
export function cleanTempDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** A temp dir removed after the test (see cleanTempDirs). */
export function tempDir(prefix = "rr-store-test-"): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

export function newStore(identity: Identity = ROOT_IDENTITY): Store {
  const root = join(tempDir(), "root");
  return openStore({ root, runroot: join(root, "run"), config: join(root, "config") }, identity);
}

export function tmpEntries(store: Store): string[] {
  return readdirSync(store.layout.tmp);
}

/** Bytes as a stream of small chunks, so code is exercised across chunk edges. */
export async function* chunked(bytes: Uint8Array, size = 7001): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}
