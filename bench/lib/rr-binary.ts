/**
 * The rr binary a benchmark measures. It is always a private copy in the
 * temp dir, so a rebuild by someone else mid-run cannot change what is measured.
 */
import { chmodSync, copyFileSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";

const REPO = join(import.meta.dir, "..", "..");
export const DIST_RR = join(REPO, "dist", "rr");

/** Copies an executable to `to` (mode 0755) and returns `to`. */
export function privateCopy(from: string, to: string): string {
  copyFileSync(from, to);
  chmodSync(to, 0o755);
  return to;
}

/** RR_BIN if set, else dist/rr. */
export function rrBinFromEnv(): string {
  return process.env.RR_BIN ? resolve(process.env.RR_BIN) : DIST_RR;
}

/** `from` copied to DIR/rr; throws, saying how to get one, when it does not exist. */
export function rrBinary(
  dir: string,
  from = rrBinFromEnv(),
  howToGetOne = "build it with `node_modules/.bin/bun run build.ts` or set RR_BIN",
): string {
  if (!existsSync(from)) throw new Error(`${from} does not exist: ${howToGetOne}`);
  return privateCopy(from, join(dir, "rr"));
}

/** dist/rr copied to `to`, built first (`bun run build.ts`) when it is missing. */
export function builtRrBinary(to: string): string {
  if (!existsSync(DIST_RR)) {
    const r = Bun.spawnSync([process.execPath, "run", "build.ts"], { cwd: REPO, stdout: "inherit", stderr: "inherit" });
    if (r.exitCode !== 0) throw new Error("building dist/rr failed");
  }
  return privateCopy(DIST_RR, to);
}
