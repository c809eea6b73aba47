/**
 * Small tools for the network end-to-end tests. Everything here talks only to
 * the host's loopback (127.0.0.1 or ::1), or runs busybox `nc` inside a container with `rr exec`
 * (the network rule: no packet from the host namespace to a non-loopback address).
 */
import { createHash } from "node:crypto";
import { hostHasIpv6 } from "../../src/network/ports.ts";
import { connect } from "node:net";
import type { Mode, RunResult, Sandbox } from "./rr.ts";

/** Waits until `what` holds, polling; fails with `label` after `ms`. */
export async function until(what: () => boolean | Promise<boolean>, ms = 5000, label = "condition"): Promise<void> {
  const end = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${label}`);
    await Bun.sleep(50);
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

/** `n` consecutive TCP ports on 127.0.0.1 that were free a moment ago (below the ephemeral range). */
export function freeRange(n: number): number {
  for (let tries = 0; tries < 100; tries++) {
    const base = 20000 + Math.floor(Math.random() * 12000);
    if (Array.from({ length: n }, (_, i) => base + i).every(portIsFree)) return base;
  }
  throw new Error(`no ${n} consecutive free ports found`);
}

/** True when the test can bind 127.0.0.1:port (TCP) itself, i.e. nothing holds it. */
export function portIsFree(port: number): boolean {
  try {
    Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } }).stop(true);
    return true;
  } catch {
    return false;
  }
}

/** Holds a TCP port on 127.0.0.1 until `stop` (to make a host port "in use"). */
export function holdPort(): { port: number; stop: () => void } {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  return { port: l.port, stop: () => l.stop(true) };
}

/** GET http://127.0.0.1:port/path from the host: the body, or undefined when unreachable. */
/** The host's own loopback addresses: the only ones tests talk to from the host's namespace. */
export type Loopback = "127.0.0.1" | "::1";

/** Whether the host has ::1 (IPv6 not disabled): rr's own test, so what it publishes and what the tests expect agree. */
export const hasIpv6Loopback = hostHasIpv6;

export async function hostGet(port: number, path = "/index.html", loopback: Loopback = "127.0.0.1"): Promise<string | undefined> {
  try {
    const r = await fetch(`http://${loopback === "::1" ? "[::1]" : loopback}:${port}${path}`, { signal: AbortSignal.timeout(3000) });
    return r.ok ? await r.text() : `HTTP ${r.status}`;
  } catch {
    return undefined;
  }
}

/** Sends `data` to 127.0.0.1:port over TCP, half-closes, and returns everything read back. */
export function hostTcpExchange(port: number, data: Uint8Array | string, ms = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect({ host: "127.0.0.1", port });
    const timer = setTimeout(() => { s.destroy(); reject(new Error(`no end from 127.0.0.1:${port} in ${ms} ms`)); }, ms);
    s.on("connect", () => s.end(data));
    s.on("data", (c: Buffer) => chunks.push(c));
    s.on("error", (e) => { clearTimeout(timer); reject(e); });
    s.on("close", () => { clearTimeout(timer); resolve(Buffer.concat(chunks)); });
  });
}

/** One UDP datagram to loopback:port; the first reply, or undefined after `ms`. */
export async function hostUdpExchange(port: number, data: string, ms = 2000, loopback: Loopback = "127.0.0.1"): Promise<string | undefined> {
  let got: (s: string) => void = () => {};
  const reply = new Promise<string>((r) => (got = r));
  const sock = await Bun.udpSocket({ hostname: loopback, socket: { data(_s, buf) { got(Buffer.from(buf).toString()); } } });
  try {
    // a datagram may race the forwarder's first setup: send a few times
    for (let i = 0; i < 3; i++) {
      sock.send(data, port, loopback);
      const r = await Promise.race([reply, Bun.sleep(ms / 3).then(() => undefined)]);
      if (r !== undefined) return r;
    }
    return undefined;
  } finally {
    sock.close();
  }
}

export const md5 = (b: Uint8Array | string) => createHash("md5").update(b).digest("hex");

/** A shell line that serves `text` as /www/index.html with busybox httpd on `port` (foreground). */
export const httpdLine = (text: string, port = 80) => `mkdir -p /www && echo ${text} > /www/index.html && exec httpd -f -p ${port} -h /www`;

/**
 * Runs in container `ctr`: an HTTP GET of host:port/path with busybox nc (busybox
 * wget segfaults here); `wait` seconds for the connection (1 where it should fail).
 */
export function ncGet(sb: Sandbox, mode: Mode, ctr: string, host: string, port = 80, path = "/index.html", wait = 2): RunResult & { body: string } {
  const r = sb.rr(mode, ["exec", ctr, "sh", "-c", `printf 'GET ${path} HTTP/1.0\\r\\n\\r\\n' | nc -w ${wait} ${host} ${port}`]);
  const body = r.stdout.includes("\r\n\r\n") ? r.stdout.slice(r.stdout.indexOf("\r\n\r\n") + 4) : "";
  return { ...r, body };
}

/** Runs in container `ctr`: one ICMP echo to `host`, 1 s timeout; true when answered. */
export function pings(sb: Sandbox, mode: Mode, ctr: string, host: string): boolean {
  return sb.rr(mode, ["exec", ctr, "ping", "-c", "1", "-W", "1", host]).code === 0;
}
