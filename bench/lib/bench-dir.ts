/**
 * The temp dir a benchmark works in, with the benchmark user's HOME and
 * XDG_RUNTIME_DIR inside it: the tools keep per-user state there (podman's
 * pause.pid, rr's runtime files), so nothing of a run is left in the real home.
 */
import { chmodSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BENCH_USER, ensureUser, type UserEnv } from "./as-user.ts";

export interface BenchDir {
  /** the temp dir itself (0755), removed by the caller at the end */
  dir: string;
  u: UserEnv;
}

/** `chown -R` to the user: what it extracts, builds or stores there is its own. */
export function giveToUser(u: UserEnv, ...paths: string[]): void {
  Bun.spawnSync(["chown", "-R", `${u.uid}:${u.gid}`, ...paths]);
}

/**
 * Makes the user (if missing) and a fresh dir `PREFIX…` below `base`. With
 * `userOwnsDir` (the default) the dir is the user's, so the tools can make
 * their stores in it; otherwise only HOME and XDG_RUNTIME_DIR are.
 */
export async function makeBenchDir(prefix: string, opts: { base?: string; userOwnsDir?: boolean } = {}): Promise<BenchDir> {
  const { uid, gid } = await ensureUser();
  const dir = mkdtempSync(join(opts.base ?? tmpdir(), prefix));
  chmodSync(dir, 0o755);
  const u: UserEnv = { user: BENCH_USER, uid, gid, home: join(dir, "home"), xdgRuntimeDir: join(dir, "xdg") };
  mkdirSync(u.home, { mode: 0o700 });
  mkdirSync(u.xdgRuntimeDir, { mode: 0o700 });
  if (opts.userOwnsDir ?? true) giveToUser(u, dir);
  else giveToUser(u, u.home, u.xdgRuntimeDir);
  return { dir, u };
}
