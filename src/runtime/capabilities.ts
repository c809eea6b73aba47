/**
 * Capability names, Docker's default set, and --cap-add/--cap-drop/--privileged
 * folded into one bit mask.
 */
import { readFileSync } from "node:fs";
import { UsageError } from "../errors.ts";

export const CAPABILITIES = [
  "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
  "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
  "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
  "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
  "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
  "CHECKPOINT_RESTORE",
] as const;

/** Docker's default capability set (moby/oci/caps/defaults.go). */
export const DOCKER_DEFAULT_CAPS = [
  "CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID", "SETFCAP",
  "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE",
];

export function lastCap(): number {
  try {
    return Number(readFileSync("/proc/sys/kernel/cap_last_cap", "utf8").trim());
  } catch {
    return CAPABILITIES.length - 1;
  }
}

function normalize(name: string): string {
  const n = name.trim().toUpperCase();
  return n.startsWith("CAP_") ? n.slice(4) : n;
}

/** The final set as "CAP_X" names (for config.json) from Docker's flags. */
export function resolveCapabilities(opts: { add: string[]; drop: string[]; privileged: boolean }): string[] {
  const last = lastCap();
  const all = CAPABILITIES.filter((_, i) => i <= last) as readonly string[];
  if (opts.privileged) return all.map((c) => `CAP_${c}`);
  const check = (c: string) => {
    if (c !== "ALL" && !all.includes(c)) throw new UsageError(`unknown capability: "${c}"`, { hint: "Capability names look like NET_ADMIN or CAP_NET_ADMIN." });
    return c;
  };
  const add = opts.add.map(normalize).map(check);
  const drop = opts.drop.map(normalize).map(check);
  let set = new Set<string>(DOCKER_DEFAULT_CAPS);
  if (drop.includes("ALL")) set = new Set();
  for (const c of drop) set.delete(c);
  if (add.includes("ALL")) for (const c of all) set.add(c);
  for (const c of add) if (c !== "ALL") set.add(c);
  return all.filter((c) => set.has(c)).map((c) => `CAP_${c}`);
}

export function capMask(names: string[]): bigint {
  let mask = 0n;
  for (const n of names) {
    const i = CAPABILITIES.indexOf(normalize(n) as (typeof CAPABILITIES)[number]);
    if (i >= 0) mask |= 1n << BigInt(i);
  }
  return mask;
}

/** rr's own bounding set: a container can never hold more than its parent may. */
export function ownBoundingSet(): bigint {
  try {
    const line = readFileSync("/proc/self/status", "utf8").split("\n").find((l) => l.startsWith("CapBnd:"));
    return line ? BigInt(`0x${line.split(/\s+/)[1]}`) : ~0n;
  } catch {
    return ~0n;
  }
}
