/**
 * Running commands as the unprivileged benchmark account. Every measured
 * command goes through the same `setpriv … env -i …` wrapper, so its cost
 * is the same for every tool (and measured on its own as the baseline).
 */
import { spawnSync } from "node:child_process";

export const BENCH_USER = "rrtest";
const SUBID_START = 200000; // as test/setup-user.sh
const SUBID_COUNT = 65536;

export interface UserEnv {
  user: string;
  uid: number;
  gid: number;
  home: string;
  xdgRuntimeDir: string;
}

function sh(argv: string[]): { code: number; out: string } {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8" });
  return { code: r.status ?? 1, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

/** Makes sure the account exists with subordinate id ranges (as test/setup-user.sh does). */
export async function ensureUser(user = BENCH_USER): Promise<{ uid: number; gid: number }> {
  if (sh(["id", "-u", user]).code !== 0) {
    const r = sh(["useradd", "-m", "-s", "/bin/bash", user]);
    if (r.code !== 0) throw new Error(`useradd ${user}: ${r.out.trim()}`);
  }
  for (const f of ["/etc/subuid", "/etc/subgid"]) {
    const text = await Bun.file(f).text().catch(() => "");
    if (!text.split("\n").some((l) => l.startsWith(`${user}:`))) {
      const sep = text && !text.endsWith("\n") ? "\n" : "";
      await Bun.write(f, `${text}${sep}${user}:${SUBID_START}:${SUBID_COUNT}\n`);
    }
  }
  return { uid: Number(sh(["id", "-u", user]).out.trim()), gid: Number(sh(["id", "-g", user]).out.trim()) };
}

/** `argv` run as the user with a clean environment (USER is set: tools look the name up there). */
export function asUser(u: UserEnv, argv: string[], extraEnv: Record<string, string> = {}): string[] {
  const env = {
    HOME: u.home,
    USER: u.user,
    LOGNAME: u.user,
    XDG_RUNTIME_DIR: u.xdgRuntimeDir,
    PATH: "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
    ...extraEnv,
  };
  return [
    "setpriv", `--reuid=${u.user}`, `--regid=${u.user}`, "--init-groups",
    "env", "-i", ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
    ...argv,
  ];
}

/** What `asUser` wraps, without the wrapper and its environment: the command as a reader would type it. */
export function withoutWrapper(argv: string[]): string {
  return argv.slice(argv.indexOf("-i") + 1).filter((a) => !/^[A-Z_]+=/.test(a)).join(" ");
}

/** Runs a setup command as the user; throws with its output on failure. */
export function runAsUser(u: UserEnv, argv: string[], cwd?: string, env: Record<string, string> = {}): string {
  const full = asUser(u, argv, env);
  const r = spawnSync(full[0]!, full.slice(1), { encoding: "utf8", cwd });
  if (r.status !== 0) {
    const out = `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n").filter(Boolean).pop() ?? "";
    const what = argv.slice(0, 3).map((a) => a.split("/").pop()).join(" ");
    throw new Error(`${what}…: exit ${r.status ?? r.signal}${out ? `: ${out}` : ""}`);
  }
  return r.stdout ?? "";
}

/** Runs a cleanup step as the user, reporting instead of throwing: cleanup must go on. */
export function cleanupAsUser(u: UserEnv, argv: string[], env: Record<string, string> = {}): void {
  try {
    runAsUser(u, argv, undefined, env);
  } catch (e) {
    console.error(`cleanup: ${(e as Error).message}`);
  }
}
