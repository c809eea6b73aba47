/**
 * DESIGN invariant 6: one identity per invocation, decided at start-up.
 *   root            — no user namespace for images; containers get none either
 *   rootless        — newuidmap/newgidmap: container 0 → the user, 1..N → /etc/subuid range
 *   rootless-single — only container 0 → the user
 */
import { existsSync, readFileSync } from "node:fs";
import { userInfo } from "node:os";

export type IdentityMode = "root" | "rootless" | "rootless-single";

export interface IdMap {
  containerId: number;
  hostId: number;
  size: number;
}

export interface Identity {
  mode: IdentityMode;
  uid: number;
  gid: number;
  user: string;
  uidMap: IdMap[];
  gidMap: IdMap[];
  /** Why rootless-single was chosen, for `rr info` and warnings. */
  reason?: string;
  newuidmap?: string;
  newgidmap?: string;
}

const HELPER_DIRS = ["/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin"];

export function findHelper(name: string, env: Record<string, string | undefined> = process.env): string | undefined {
  const dirs = [...(env.PATH ?? "").split(":").filter(Boolean), ...HELPER_DIRS];
  for (const d of dirs) {
    const p = `${d}/${name}`;
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** Parses /etc/subuid-style lines for one user (by name or numeric id). */
export function parseSubIdRanges(text: string, user: string, uid: number): { start: number; count: number }[] {
  const out: { start: number; count: number }[] = [];
  for (const line of text.split("\n")) {
    const [who, start, count] = line.trim().split(":");
    if (!who || start === undefined || count === undefined) continue;
    if (who !== user && who !== String(uid)) continue;
    const s = Number(start), c = Number(count);
    if (Number.isInteger(s) && Number.isInteger(c) && c > 0) out.push({ start: s, count: c });
  }
  return out;
}

function readOr(path: string): string {
  try { return readFileSync(path, "utf8"); } catch { return ""; }
}

/** The login name for uid from /etc/passwd (os.userInfo() says "unknown" without $USER). */
export function userName(uid: number): string {
  for (const line of readOr("/etc/passwd").split("\n")) {
    const f = line.split(":");
    if (f.length >= 3 && Number(f[2]) === uid && f[0]) return f[0];
  }
  try {
    const name = userInfo().username;
    if (name && name !== "unknown") return name;
  } catch {}
  return String(uid);
}

export function detectIdentity(env: Record<string, string | undefined> = process.env): Identity {
  const uid = process.geteuid!();
  const gid = process.getegid!();
  const user = userName(uid);
  if (uid === 0 && env.RR_USERNS !== "single" && env.RR_USERNS !== "rootless") {
    return { mode: "root", uid, gid, user, uidMap: [], gidMap: [] };
  }
  const single = (reason: string): Identity => ({
    mode: "rootless-single", uid, gid, user, reason,
    uidMap: [{ containerId: 0, hostId: uid, size: 1 }],
    gidMap: [{ containerId: 0, hostId: gid, size: 1 }],
  });
  if (env.RR_USERNS === "single") return single("RR_USERNS=single");
  const newuidmap = findHelper("newuidmap", env);
  const newgidmap = findHelper("newgidmap", env);
  if (!newuidmap || !newgidmap) return single("newuidmap/newgidmap not found (install the uidmap package)");
  const subuids = parseSubIdRanges(readOr("/etc/subuid"), user, uid);
  const subgids = parseSubIdRanges(readOr("/etc/subgid"), user, uid);
  if (!subuids.length || !subgids.length) return single(`no range for ${user} in /etc/subuid and /etc/subgid`);
  const ranges = (own: number, subs: { start: number; count: number }[]): IdMap[] => {
    const maps: IdMap[] = [{ containerId: 0, hostId: own, size: 1 }];
    let next = 1;
    for (const r of subs) {
      maps.push({ containerId: next, hostId: r.start, size: r.count });
      next += r.count;
    }
    return maps;
  };
  return {
    mode: "rootless", uid, gid, user, newuidmap, newgidmap,
    uidMap: ranges(uid, subuids), gidMap: ranges(gid, subgids),
  };
}

/** How many container ids the identity maps (65536 means "a normal image fits"). */
export function mappedIdCount(maps: IdMap[]): number {
  return maps.reduce((n, m) => n + m.size, 0);
}
