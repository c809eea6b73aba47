/**
 * Runs the compiled dist/rr the way users do: copied alone into an empty
 * directory, as root, as an unprivileged user with subordinate ids
 * (rootless), and as that user with only its own id (rootless-single).
 */
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";

export type Mode = "root" | "rootless" | "rootless-single";
export const MODES: Mode[] = ["root", "rootless", "rootless-single"];
export const TEST_USER = "rrtest";

const REPO = join(import.meta.dir, "..", "..");
export const IS_ROOT = process.getuid!() === 0;

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

let ids: { uid: number; gid: number } | undefined | null = null;
/** The test account's uid and gid, if it exists. */
export function userIds(): { uid: number; gid: number } | undefined {
  if (ids === null) {
    const u = Bun.spawnSync(["id", "-u", TEST_USER]), g = Bun.spawnSync(["id", "-g", TEST_USER]);
    ids = u.exitCode === 0 ? { uid: Number(u.stdout.toString()), gid: Number(g.stdout.toString()) } : undefined;
  }
  return ids;
}

/** A private world for one test file: a copy of the binary and a store per mode. */
export class Sandbox {
  readonly dir: string;
  readonly bin: string;

  constructor() {
    // RR_BIN: test another build than dist/rr (parallel work on one tree)
    const built = process.env.RR_BIN ?? join(REPO, "dist", "rr");
    if (!existsSync(built)) throw new Error(`${built} is missing: run \`npm run build\` first`);
    this.dir = mkdtempSync(join(tmpdir(), "rr-test-"));
    chmodSync(this.dir, 0o755);
    mkdirSync(join(this.dir, "bin"), { mode: 0o755 });
    this.bin = join(this.dir, "bin", "rr");
    copyFileSync(built, this.bin);
    chmodSync(this.bin, 0o755);
    if (IS_ROOT && userIds()) {
      const { uid, gid } = userIds()!;
      for (const mode of MODES.filter((m) => m !== "root")) {
        for (const d of [this.storeRoot(mode), join(this.dir, `run-${mode}`)]) {
          mkdirSync(d, { mode: 0o700 });
          chownSync(d, uid, gid);
        }
      }
    }
  }

  /** A world-readable scratch path for fixtures. */
  path(name: string): string {
    return join(this.dir, name);
  }

  storeRoot(mode: Mode): string {
    return join(this.dir, `store-${mode}`);
  }

  /** argv prefix that runs a command as the mode's user with a clean environment. */
  private wrap(mode: Mode, env: Record<string, string>): { argv: string[]; env: Record<string, string> } {
    const base: Record<string, string> = {
      PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      RR_ROOT: this.storeRoot(mode),
      LANG: "C.UTF-8",
      ...env,
    };
    if (mode === "root") return { argv: [], env: { ...base, HOME: "/root" } };
    const userEnv = {
      ...base,
      HOME: `/home/${TEST_USER}`,
      USER: TEST_USER,
      XDG_RUNTIME_DIR: join(this.dir, `run-${mode}`),
      ...(mode === "rootless-single" ? { RR_USERNS: "single" } : {}),
    };
    const envArgs = Object.entries(userEnv).map(([k, v]) => `${k}=${v}`);
    return {
      argv: ["setpriv", `--reuid=${TEST_USER}`, `--regid=${TEST_USER}`, "--init-groups", "--reset-env", "env", "-i", ...envArgs],
      env: base,
    };
  }

  command(mode: Mode, args: string[], env: Record<string, string> = {}): { argv: string[]; env: Record<string, string> } {
    const w = this.wrap(mode, env);
    return { argv: [...w.argv, this.bin, ...args], env: w.env };
  }

  rr(mode: Mode, args: string[], opts: { stdin?: Uint8Array | string; env?: Record<string, string>; cwd?: string } = {}): RunResult {
    const { argv, env } = this.command(mode, args, opts.env);
    const r = Bun.spawnSync(argv, {
      env,
      cwd: opts.cwd ?? this.dir,
      stdin: opts.stdin === undefined ? "ignore" : typeof opts.stdin === "string" ? Buffer.from(opts.stdin) : opts.stdin,
      stdout: "pipe",
      stderr: "pipe",
    });
    return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
  }

  /** Runs `rr` and insists on exit 0, showing stderr otherwise. */
  ok(mode: Mode, args: string[], opts: Parameters<Sandbox["rr"]>[2] = {}): string {
    const r = this.rr(mode, args, opts);
    if (r.code !== 0) throw new Error(`rr ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  }

  cleanup(): void {
    for (const mode of MODES) {
      // the network holder rr started for this store (its monitor and slirp4netns end with it)
      try {
        const holder = JSON.parse(readFileSync(join(this.storeRoot(mode), "network-holder", "holder.json"), "utf8")) as { pid: number; pidStart: string };
        const stat = readFileSync(`/proc/${holder.pid}/stat`, "utf8");
        // the same process, not a later one that reused its pid
        if (stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] === holder.pidStart) process.kill(holder.pid, "SIGKILL");
      } catch {}
      if (mode !== "root" && existsSync(this.storeRoot(mode))) {
        // files of subordinate ids: remove them from inside the user namespace
        this.rr(mode, ["unshare", "rm", "-rf", this.storeRoot(mode)]);
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Why integration tests cannot run here, or undefined when they can. */
export function integrationSkipReason(): string | undefined {
  if (!IS_ROOT) return "integration tests need root (to create the unprivileged test account)";
  const r = Bun.spawnSync(["id", TEST_USER]);
  if (r.exitCode !== 0) return `test account ${TEST_USER} is missing: run test/setup-user.sh`;
  return undefined;
}
