/**
 * The socket calls rr needs to publish ports: bound host sockets made in
 * rr's own network namespace before a container exists (so "port in use"
 * is a clear error up front).
 * Every fd is close-on-exec: children get only the ones passed explicitly.
 */
import { dlopen, FFIType, ptr } from "bun:ffi";
import { SyscallError } from "../errors.ts";
import { cstr, errno } from "./libc.ts";

const defs = {
  socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  setsockopt: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  bind: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  listen: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  getsockname: { args: [FFIType.i32, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  inet_pton: { args: [FFIType.i32, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
} as const;

let lib: ReturnType<typeof dlopen<typeof defs>> | undefined;
function libc() {
  lib ??= dlopen("libc.so.6", defs);
  return lib.symbols;
}

const AF_INET = 2, AF_INET6 = 10;
const SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1, SO_REUSEADDR = 2, IPPROTO_IPV6 = 41, IPV6_V6ONLY = 26;
const BACKLOG = 4096; // the kernel caps it at net.core.somaxconn

/** The sockaddr for an IP literal and port, or undefined if `ip` is not one. */
export function sockaddr(ip: string, port: number): Buffer | undefined {
  const v6 = ip.includes(":");
  const addr = Buffer.alloc(v6 ? 28 : 16);
  addr.writeUInt16LE(v6 ? AF_INET6 : AF_INET, 0);
  addr.writeUInt16BE(port, 2);
  const dst = addr.subarray(v6 ? 8 : 4, v6 ? 24 : 8);
  return libc().inet_pton(v6 ? AF_INET6 : AF_INET, ptr(cstr(ip)), ptr(dst)) === 1 ? addr : undefined;
}

/**
 * A bound socket on ip:port (port 0: the kernel picks one), listening for
 * tcp. Returns the fd and the port actually bound. Throws SyscallError
 * (its errno tells EADDRINUSE from EACCES) or RangeError for a bad ip.
 */
export function bindSocket(proto: "tcp" | "udp", ip: string, port: number): { fd: number; port: number } {
  const addr = sockaddr(ip, port);
  if (!addr) throw new RangeError(`not an IP address: ${ip}`);
  const family = addr.readUInt16LE(0);
  const c = libc();
  const fd = c.socket(family, (proto === "tcp" ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new SyscallError("socket", errno());
  try {
    // as Docker: a port in TIME_WAIT after a restart is still ours to take
    if (proto === "tcp") setInt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
    if (family === AF_INET6) setInt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
    if (c.bind(fd, ptr(addr), addr.length) !== 0) throw new SyscallError("bind", errno());
    if (proto === "tcp" && c.listen(fd, BACKLOG) !== 0) throw new SyscallError("listen", errno());
    const got = Buffer.alloc(28);
    const len = new Uint32Array([got.length]);
    if (c.getsockname(fd, ptr(got), ptr(len)) !== 0) throw new SyscallError("getsockname", errno());
    return { fd, port: got.readUInt16BE(2) };
  } catch (err) {
    c.close(fd);
    throw err;
  }
}

function setInt(fd: number, level: number, name: number, value: number): void {
  const v = new Int32Array([value]);
  if (libc().setsockopt(fd, level, name, ptr(v), 4) !== 0) throw new SyscallError("setsockopt", errno());
}

export function closeFd(fd: number): void {
  libc().close(fd);
}
