/**
 * bun:ffi binding of rr_netlink_run (ffi/netlink.c): runs an encoded netlink
 * script in a helper process. Policy-free: src/network/netlink-script.ts
 * builds the script and names the step that failed.
 */
import { dlopen, FFIType, ptr } from "bun:ffi";
import libPath from "../../ffi/librr.so" with { type: "file" };

const defs = {
  rr_netlink_run: { args: [FFIType.ptr, FFIType.u32, FFIType.ptr, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
} as const;

let lib: ReturnType<typeof dlopen<typeof defs>> | undefined;
function core() {
  lib ??= dlopen(libPath, defs);
  return lib.symbols;
}

export type NetlinkRunResult =
  | { ok: true }
  /** op: the failed op's index (-1: the script as a whole); message: index within a SEND op, else -1 */
  | { ok: false; op: number; errno: number; message: number; detail: string };

export function netlinkRun(script: Uint8Array): NetlinkRunResult {
  const result = new Int32Array(3);
  const detail = new Uint8Array(256);
  // the helper works on its own copy of this buffer (it numbers and patches messages there)
  const r = core().rr_netlink_run(ptr(script), script.length, ptr(result), ptr(detail), detail.length);
  if (r === 0) return { ok: true };
  const end = detail.indexOf(0);
  return {
    ok: false,
    op: result[0]!,
    errno: -r,
    message: result[2]!,
    detail: new TextDecoder().decode(detail.subarray(0, end < 0 ? detail.length : end)),
  };
}
