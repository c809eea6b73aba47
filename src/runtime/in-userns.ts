/**
 * DESIGN invariant 6: work that creates or deletes files owned by mapped ids
 * runs inside rr's user namespace. rr re-executes itself there (the same
 * mechanism `rr unshare` exposes) and waits for it.
 */
import { CLONE } from "../sys/core.ts";
import { launch } from "./launch.ts";
import type { Identity } from "./identity.ts";
import type { Plan } from "./plan-encoder.ts";
import { selfCommand } from "./self-exec.ts";
import { SilentExit } from "../errors.ts";

export const IN_USERNS_ENV = "RR_IN_USERNS";

/** A plan that keeps the host's filesystem and stays root of the new namespace. */
export function unsharePlan(argv: string[], env: Record<string, string | undefined>): Plan {
  const envList = Object.entries(env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
  return {
    flags: ["pdeathsig"],
    ops: [],
    argv,
    env: envList,
    execPath: argv[0]!,
    searchPath: env.PATH,
    uid: 0, gid: 0, groups: [], rlimits: [], capLastCap: 0,
    caps: { bounding: 0n, effective: 0n, permitted: 0n, inheritable: 0n, ambient: 0n },
  };
}

/** Runs argv as root of rr's user namespace; resolves to its exit code. */
export async function runInUserNamespace(identity: Identity, argv: string[], extraEnv: Record<string, string> = {}): Promise<number> {
  const env = { ...process.env, ...extraEnv, [IN_USERNS_ENV]: identity.mode };
  const launched = launch({ plan: unsharePlan(argv, env), cloneFlags: CLONE.NEWUSER | CLONE.NEWNS, identity });
  return launched.exited;
}

/** Re-executes rr with args inside the namespace; throws SilentExit if it fails (it printed why). */
export async function runSelfInUserNamespace(identity: Identity, args: string[]): Promise<void> {
  const code = await runInUserNamespace(identity, [...selfCommand(), ...args]);
  if (code !== 0) throw new SilentExit(code);
}
