/**
 * bun:ffi bindings to rr's C core (ffi/librr.so, embedded in dist/rr).
 * Typed, thin, and policy-free: src/runtime/ decides what to ask for.
 */
import { dlopen, FFIType, ptr, type Pointer } from "bun:ffi";
import libPath from "../../ffi/librr.so" with { type: "file" };
import { SyscallError } from "../errors.ts";
import { cstr } from "./libc.ts";

const defs = {
  rr_abi_version: { args: [], returns: FFIType.i32 },
  rr_spawn: { args: [FFIType.ptr, FFIType.u32, FFIType.u64, FFIType.ptr], returns: FFIType.i32 },
  rr_release: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  rr_read_setup: { args: [FFIType.i32, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  rr_recv_fd: { args: [FFIType.i32], returns: FFIType.i32 },
  rr_set_winsize: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  rr_get_winsize: { args: [FFIType.i32], returns: FFIType.i32 },
  rr_watch: { args: [FFIType.i32], returns: FFIType.i32 },
  rr_waitpid: { args: [FFIType.i32], returns: FFIType.i32 },
  rr_map_ids: {
    args: [FFIType.cstring, FFIType.ptr, FFIType.i32, FFIType.cstring, FFIType.ptr, FFIType.i32, FFIType.ptr, FFIType.i32],
    returns: FFIType.i32,
  },
  rr_plan_describe: { args: [FFIType.ptr, FFIType.u32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  rr_spawn_joined: {
    args: [FFIType.i32, FFIType.u32, FFIType.u32, FFIType.ptr, FFIType.u32, FFIType.ptr, FFIType.ptr],
    returns: FFIType.i32,
  },
  rr_spawn_into: {
    args: [FFIType.ptr, FFIType.ptr, FFIType.u64, FFIType.ptr, FFIType.u32, FFIType.ptr, FFIType.ptr],
    returns: FFIType.i32,
  },
  rr_open_beneath: { args: [FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
} as const;

let lib: ReturnType<typeof dlopen<typeof defs>> | undefined;
function core() {
  lib ??= dlopen(libPath, defs);
  return lib.symbols;
}

export const ABI_VERSION = 1;

export function coreAbiVersion(): number {
  return core().rr_abi_version();
}

export const CLONE = {
  NEWNS: 0x00020000,
  NEWCGROUP: 0x02000000,
  NEWUTS: 0x04000000,
  NEWIPC: 0x08000000,
  NEWUSER: 0x10000000,
  NEWPID: 0x20000000,
  NEWNET: 0x40000000,
} as const;

export interface SpawnedChild {
  pid: number;
  syncFd: number;
  errorFd: number;
  consoleFd: number;
}

/** clone()s a child that waits for release(); the plan is read in the child. */
export function spawnChild(plan: Uint8Array, cloneFlags: number): SpawnedChild {
  const out = new Int32Array(4);
  const r = core().rr_spawn(ptr(plan), plan.length, BigInt(cloneFlags), ptr(out));
  if (r < 0) throw new SyscallError("clone", -r, undefined, undefined, { hint: cloneHint(-r, cloneFlags) });
  return { pid: out[0]!, syncFd: out[1]!, errorFd: out[2]!, consoleFd: out[3]! };
}

function cloneHint(errno: number, flags: number): string | undefined {
  if ((errno === 1 || errno === 28 || errno === 22) && flags & CLONE.NEWUSER) {
    return "Unprivileged user namespaces seem disabled here: check the sysctls kernel.unprivileged_userns_clone, user.max_user_namespaces and (Ubuntu) kernel.apparmor_restrict_unprivileged_userns.";
  }
  return undefined;
}

/** Where rr_spawn_joined failed (ffi/rr_internal.h rr_join_phase). */
export const JOIN_PHASE = { plan: 1, open: 2, pipe: 3, clone: 4, dumpable: 5, setns: 6, devnull: 7 } as const;
/** The namespaces in the order C joins them; a failure's `ns` indexes this. */
export const JOIN_NAMESPACES = ["user", "ipc", "uts", "net", "pid", "cgroup", "mnt"] as const;
export const JOIN_STDIO_NULL = 1;

export type JoinResult =
  | { ok: true; child: SpawnedChild }
  | { ok: false; phase: number; ns?: (typeof JOIN_NAMESPACES)[number]; errno: number };

/**
 * Starts a child inside the namespaces (CLONE_NEW* mask) of a running
 * process, through a non-dumpable intermediate; it waits for release() like
 * spawnChild's. Namespaces we already share are skipped.
 */
export function spawnJoinedChild(targetPid: number, nsMask: number, flags: number, plan: Uint8Array): JoinResult {
  const out = new Int32Array(4);
  const failure = new Int32Array(2);
  const r = core().rr_spawn_joined(targetPid, nsMask, flags, ptr(plan), plan.length, ptr(out), ptr(failure));
  if (r < 0) return { ok: false, phase: failure[0]!, ns: JOIN_NAMESPACES[failure[1]!], errno: -r };
  return { ok: true, child: { pid: out[0]!, syncFd: out[1]!, errorFd: out[2]!, consoleFd: out[3]! } };
}

/**
 * Starts a new container inside an existing user namespace (a network's
 * holder) and, for `--network container:X`, network namespace (paths under
 * /proc/<pid>/ns/); its other namespaces in cloneFlags are new.
 */
export function spawnChildInto(join: { user?: string; net?: string }, cloneFlags: number, plan: Uint8Array): SpawnedChild {
  const out = new Int32Array(4);
  const failure = new Int32Array(2);
  const path = (p?: string) => (p ? ptr(cstr(p)) : null);
  const r = core().rr_spawn_into(path(join.user), path(join.net), BigInt(cloneFlags), ptr(plan), plan.length, ptr(out), ptr(failure));
  if (r < 0) {
    const what = failure[0] === JOIN_PHASE.open || failure[0] === JOIN_PHASE.setns ? `join the ${JOIN_NAMESPACES[failure[1]!]} namespace` : "clone";
    throw new SyscallError(what, -r);
  }
  return { pid: out[0]!, syncFd: out[1]!, errorFd: out[2]!, consoleFd: out[3]! };
}

/** Opens a file read-only as seen beneath root (openat2 RESOLVE_IN_ROOT): an fd, or -errno. */
export function openBeneath(root: string, path: string): number {
  return core().rr_open_beneath(ptr(cstr(root)), ptr(cstr(path)));
}

export function releaseChild(child: SpawnedChild, go: boolean): void {
  const r = core().rr_release(child.syncFd, go ? 1 : 0);
  if (r < 0) throw new SyscallError("release child", -r);
}

/** Blocks until the child exec'd (undefined) or reports the failed step. */
export function readSetupResult(child: SpawnedChild): { step: number; errno: number } | undefined {
  const step = new Int32Array(1), err = new Int32Array(1);
  const r = core().rr_read_setup(child.errorFd, ptr(step), ptr(err));
  if (r < 0) throw new SyscallError("read setup status", -r);
  return r === 1 ? { step: step[0]!, errno: err[0]! } : undefined;
}

export function receiveFd(sock: number): number {
  const r = core().rr_recv_fd(sock);
  if (r < 0) throw new SyscallError("receive pty", -r);
  return r;
}

export function setWinsize(fd: number, rows: number, cols: number): void {
  core().rr_set_winsize(fd, rows, cols);
}

export function getWinsize(fd: number): { rows: number; cols: number } | undefined {
  const r = core().rr_get_winsize(fd);
  return r < 0 ? undefined : { rows: r >>> 16, cols: r & 0xffff };
}

/** A pipe fd that yields the child's int32 exit code (128+N for a signal) once it is reaped. */
export function watchChild(pid: number): number {
  const r = core().rr_watch(pid);
  if (r < 0) throw new SyscallError("watch child", -r);
  return r;
}

export function waitChildSync(pid: number): number {
  return core().rr_waitpid(pid);
}

/**
 * Runs the uid and gid map helpers (newuidmap, newgidmap) side by side.
 * Resolves to undefined on success, else the failing one's exit status and stderr.
 */
export function runMapHelpers(uidHelper: string, uidArgs: string[], gidHelper: string, gidArgs: string[]): { code: number; message: string } | undefined {
  const block = (args: string[]) => Buffer.from(args.map((a) => a + "\0").join(""));
  const u = block(uidArgs), g = block(gidArgs);
  const msg = new Uint8Array(512);
  const r = core().rr_map_ids(cstr(uidHelper), ptr(u), u.length, cstr(gidHelper), ptr(g), g.length, ptr(msg), msg.length);
  if (r === 0) return undefined;
  if (r < 0) throw new SyscallError(`start ${uidHelper}`, -r);
  const end = msg.indexOf(0);
  return { code: r, message: new TextDecoder().decode(msg.subarray(0, end < 0 ? msg.length : end)).trim() };
}

/** The C reader's view of an encoded plan: tests check it against the encoder. */
export function describePlan(plan: Uint8Array): string {
  const out = new Uint8Array(1 << 16);
  const n = core().rr_plan_describe(ptr(plan), plan.length, ptr(out), out.length);
  if (n < 0) throw new SyscallError("plan check", -n);
  return new TextDecoder().decode(out.subarray(0, Math.min(n, out.length)));
}

export type { Pointer };
