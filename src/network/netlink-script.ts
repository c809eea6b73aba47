/**
 * Encodes the steps ffi/netlink.c runs in its helper process (the format is
 * documented at the top of netlink.c) and names the step that failed. Each
 * step carries a description that becomes the error's subject:
 * "create veth rv1234 on bridge rr-abc: Operation not permitted".
 */
import { SyscallError, strerror } from "../errors.ts";
import { netlinkRun } from "../sys/netlink-core.ts";
import { checkIfName, concatMessages, type NlMessage, type Reg } from "./netlink.ts";

export const SCRIPT_MAGIC = 0x4c4e5252; // "RRNL"
export const SCRIPT_VERSION = 1;
export const OP = { setns: 1, ifindex: 2, send: 3, write: 4 } as const;
export const FLAG = { eexistOk: 1, enodevOk: 2, optional: 4 } as const;
export const NETLINK_ROUTE = 0;
export const CLONE_NEWUSER = 0x10000000;
export const CLONE_NEWNET = 0x40000000;
const REGISTERS = 8;

/** errnos of network calls that src/errors.ts does not spell out. */
const NET_ERRNO_TEXT: Record<number, string> = {
  71: "Protocol error", 74: "Bad message", 93: "Protocol not supported", 97: "Address family not supported by protocol",
  99: "Cannot assign requested address", 100: "Network is down", 101: "Network is unreachable",
  105: "No buffer space available", 107: "Transport endpoint is not connected", 113: "No route to host",
};

/** A netlink step failed; errno and the kernel's own words (extended ack) when it gave some. */
export class NetlinkError extends SyscallError {
  constructor(what: string, errno: number, readonly detail?: string) {
    super(what, errno);
    this.message = `${what}: ${NET_ERRNO_TEXT[errno] ?? strerror(errno)}${detail ? ` (${detail})` : ""}`;
  }
}

interface Step {
  bytes: Uint8Array;
  /** one per message for a SEND of several, else one */
  what: string[];
}

export class NetlinkScript {
  private readonly steps: Step[] = [];
  private nextReg = 0;

  /** Enters the namespace open at fd (skipped if the helper is already in it). */
  setns(fd: number, nstype: typeof CLONE_NEWUSER | typeof CLONE_NEWNET, what: string): this {
    return this.op(OP.setns, 0, [i32(fd), u32(nstype)], [what]);
  }

  /** Looks up an interface's index in the current network namespace into a fresh register. */
  ifindex(name: string, what: string): Reg {
    if (this.nextReg >= REGISTERS) throw new Error("netlink script: out of registers");
    const reg = this.nextReg++;
    this.op(OP.ifindex, 0, [u32(reg), cstr(checkIfName(name))], [what]);
    return { reg };
  }

  /**
   * Sends messages in one send() on a fresh socket and waits for each ack.
   * what: one description, or one per message.
   */
  send(protocol: number, msgs: NlMessage | NlMessage[], what: string | string[], opts: { eexistOk?: boolean; enodevOk?: boolean } = {}): this {
    const list = Array.isArray(msgs) ? msgs : [msgs];
    const m = concatMessages(list);
    const patches = m.patches.flatMap((p) => [u32(p.offset), u32(p.reg)]);
    const flags = (opts.eexistOk ? FLAG.eexistOk : 0) | (opts.enodevOk ? FLAG.enodevOk : 0);
    return this.op(OP.send, flags, [u32(protocol), u32(m.patches.length), ...patches, m.bytes], Array.isArray(what) ? what : [what]);
  }

  /** Writes data to a file under /proc/sys/ (sysctls of the current network namespace). */
  write(path: string, data: string, what: string, opts: { optional?: boolean } = {}): this {
    if (!path.startsWith("/proc/sys/") || path.split("/").includes("..")) throw new Error(`netlink script: refusing to write ${path}`);
    const p = cstr(path), d = new TextEncoder().encode(data);
    return this.op(OP.write, opts.optional ? FLAG.optional : 0, [u32(p.length), u32(d.length), p, d], [what]);
  }

  /** Sets a sysctl of the current network namespace, named by its path parts (an interface name may hold dots). */
  sysctl(parts: string[], value: string, opts: { optional?: boolean } = {}): this {
    if (parts.some((p) => !p || p.includes("/") || p === "." || p === "..")) throw new Error(`netlink script: bad sysctl ${parts.join(".")}`);
    return this.write(`/proc/sys/${parts.join("/")}`, value, `set ${parts.join(".")} to "${value}"`, opts);
  }

  encode(): Uint8Array {
    return concat([u32(SCRIPT_MAGIC), u32(SCRIPT_VERSION), ...this.steps.map((s) => s.bytes)]);
  }

  /** What failed at op (and message, for a SEND of several). */
  describe(op: number, message: number): string {
    const step = this.steps[op];
    if (!step) return "network set-up";
    return step.what[message >= 0 && message < step.what.length ? message : 0]!;
  }

  /** Runs the script in one helper process; throws a NetlinkError naming the failed step. */
  run(): void {
    const r = netlinkRun(this.encode());
    if (!r.ok) throw new NetlinkError(this.describe(r.op, r.message), r.errno, r.detail || undefined);
  }

  private op(type: number, flags: number, body: Uint8Array[], what: string[]): this {
    const payload = concat(body);
    const size = 8 + ((payload.length + 3) & ~3);
    const bytes = new Uint8Array(size);
    const v = new DataView(bytes.buffer);
    v.setUint16(0, type, true);
    v.setUint16(2, flags, true);
    v.setUint32(4, size, true);
    bytes.set(payload, 8);
    this.steps.push({ bytes, what });
    return this;
  }
}

function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}

function i32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v, true);
  return b;
}

function cstr(s: string): Uint8Array {
  return new TextEncoder().encode(s + "\0");
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
