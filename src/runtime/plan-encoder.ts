/**
 * Encodes a setup plan into the binary form ffi/rr_abi.h describes. The C
 * child reads it in place: this is the whole conversation between the
 * TypeScript that decides and the C that executes.
 */
export const ABI_VERSION = 1;
const MAGIC = 0x31505252;
const HEADER_SIZE = 23 * 4 + 4 + 5 * 8; // 23 u32 + pad + 5 u64 = 136
const OP_SIZE = 8 * 4 + 8;
const RLIMIT_SIZE = 24;

export const PLAN_FLAGS = {
  pivot: 1 << 0,
  setIds: 1 << 1,
  setGroups: 1 << 2,
  setCaps: 1 << 3,
  noNewPrivs: 1 << 4,
  newCgroupNs: 1 << 5,
  stdinNull: 1 << 6,
  tty: 1 << 7,
  init: 1 << 8,
  loopbackUp: 1 << 9,
  pdeathsig: 1 << 10,
  setsid: 1 << 11,
  setHostname: 1 << 12,
} as const;
export type PlanFlag = keyof typeof PLAN_FLAGS;

const OP_TYPES = { mount: 1, "open-root": 2, mkdir: 3, mkfile: 4, symlink: 5, "remount-ro": 6, mask: 7 } as const;
export type OpType = keyof typeof OP_TYPES;

const OP_FLAGS = { inRoot: 1, optional: 2, noBind: 4, roAfter: 8 } as const;

export interface PlanOp {
  type: OpType;
  /** mount source, open-root path, or symlink text */
  source?: string;
  /** target path: host-absolute, or root-relative when inRoot */
  target?: string;
  fstype?: string;
  data?: string;
  /** mount: a host path to bind (read-only) when the mount is refused */
  fallback?: string;
  mode?: number;
  mountFlags?: number;
  inRoot?: boolean;
  optional?: boolean;
  noBind?: boolean;
  roAfter?: boolean;
  /** How to name this step in an error, e.g. `mount proc on "/proc"`. */
  what: string;
}

export interface Rlimit {
  resource: number;
  soft: bigint;
  hard: bigint;
}

export interface Plan {
  flags: PlanFlag[];
  ops: PlanOp[];
  argv: string[];
  env: string[];
  /** argv[0] to execute: a path, or a name looked up in searchPath. */
  execPath: string;
  searchPath?: string;
  cwd?: string;
  hostname?: string;
  uid: number;
  gid: number;
  groups: number[];
  rlimits: Rlimit[];
  capLastCap: number;
  caps: { bounding: bigint; effective: bigint; permitted: bigint; inheritable: bigint; ambient: bigint };
  tty?: { rows: number; cols: number };
}

const utf8 = new TextEncoder();

class StringTable {
  readonly parts: Uint8Array[] = [];
  size = 0;
  private readonly seen = new Map<string, number>();
  constructor(private readonly base: number) {}
  add(s: string | undefined): number {
    if (s === undefined) return 0;
    if (s.includes("\0")) throw new Error(`plan string contains NUL: ${JSON.stringify(s)}`);
    const hit = this.seen.get(s);
    if (hit !== undefined) return hit;
    const bytes = utf8.encode(s + "\0");
    const off = this.base + this.size;
    this.parts.push(bytes);
    this.size += bytes.length;
    this.seen.set(s, off);
    return off;
  }
}

export function encodePlan(plan: Plan): Uint8Array {
  const opsOff = HEADER_SIZE;
  const rlOff = opsOff + plan.ops.length * OP_SIZE;
  const argvOff = rlOff + plan.rlimits.length * RLIMIT_SIZE;
  const envOff = argvOff + plan.argv.length * 4;
  const groupsOff = envOff + plan.env.length * 4;
  const strBase = groupsOff + plan.groups.length * 4;
  const strings = new StringTable(strBase);

  const opStrings = plan.ops.map((op) => [
    strings.add(op.source), strings.add(op.target), strings.add(op.fstype), strings.add(op.data), strings.add(op.fallback),
  ]);
  const argvStr = plan.argv.map((a) => strings.add(a));
  const envStr = plan.env.map((e) => strings.add(e));
  const execPath = strings.add(plan.execPath);
  const searchPath = strings.add(plan.searchPath);
  const cwd = strings.add(plan.cwd);
  const hostname = strings.add(plan.hostname);

  const total = strBase + strings.size;
  const buf = new Uint8Array(total);
  const dv = new DataView(buf.buffer);
  const u32 = (off: number, v: number) => dv.setUint32(off, v >>> 0, true);
  const u64 = (off: number, v: bigint) => dv.setBigUint64(off, BigInt.asUintN(64, v), true);

  let flags = 0;
  for (const f of plan.flags) flags |= PLAN_FLAGS[f];
  const header = [
    MAGIC, ABI_VERSION, total, flags, plan.ops.length, plan.ops.length ? opsOff : 0,
    plan.argv.length, argvOff, plan.env.length, plan.env.length ? envOff : 0,
    execPath, searchPath, cwd, hostname, plan.uid, plan.gid,
    plan.groups.length, plan.groups.length ? groupsOff : 0, plan.rlimits.length, plan.rlimits.length ? rlOff : 0,
    plan.capLastCap, plan.tty?.rows ?? 0, plan.tty?.cols ?? 0, 0,
  ];
  header.forEach((v, i) => u32(i * 4, v));
  const c = plan.caps;
  [c.bounding, c.effective, c.permitted, c.inheritable, c.ambient].forEach((v, i) => u64(96 + i * 8, v));

  plan.ops.forEach((op, i) => {
    const o = opsOff + i * OP_SIZE;
    let f = 0;
    if (op.inRoot) f |= OP_FLAGS.inRoot;
    if (op.optional) f |= OP_FLAGS.optional;
    if (op.noBind) f |= OP_FLAGS.noBind;
    if (op.roAfter) f |= OP_FLAGS.roAfter;
    u32(o, OP_TYPES[op.type]);
    u32(o + 4, f);
    opStrings[i]!.forEach((s, k) => u32(o + 8 + k * 4, s));
    u32(o + 28, op.mode ?? 0);
    u64(o + 32, BigInt(op.mountFlags ?? 0));
  });
  plan.rlimits.forEach((r, i) => {
    const o = rlOff + i * RLIMIT_SIZE;
    u32(o, r.resource);
    u64(o + 8, r.soft);
    u64(o + 16, r.hard);
  });
  argvStr.forEach((s, i) => u32(argvOff + i * 4, s));
  envStr.forEach((s, i) => u32(envOff + i * 4, s));
  plan.groups.forEach((g, i) => u32(groupsOff + i * 4, g));
  let off = strBase;
  for (const p of strings.parts) {
    buf.set(p, off);
    off += p.length;
  }
  return buf;
}
