/**
 * A proxy in front of a real registry that breaks chosen responses: a
 * status (404, 401, 403, 429 with Retry-After, 500 a few times), a truncated
 * or corrupted blob, a connection reset mid-body (what a killed registry
 * looks like from the client), or a replaced manifest body and Content-Type.
 */
export type Fault =
  | { kind: "status"; status: number; match: RegExp; times?: number; headers?: Record<string, string>; body?: string }
  | { kind: "truncate" | "corrupt" | "reset"; match: RegExp }
  | { kind: "replace"; match: RegExp; body: string; contentType: string };

export interface FaultServer {
  host: string;
  fault?: Fault;
  /** Requests whose path matched the fault, answered or not. */
  hits: number;
  /** Called as a `reset` drops the connection: a test kills the real registry here. */
  onReset?: () => void;
  stop(): void;
}

export function startFaultServer(upstream: string): FaultServer {
  const state: FaultServer = { host: "", hits: 0, stop: () => server.stop(true) };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const f = state.fault;
      const hit = f !== undefined && f.match.test(url.pathname) && req.method === "GET";
      if (hit) state.hits++;
      if (hit && f.kind === "status" && (f.times === undefined || state.hits <= f.times)) {
        return new Response(f.body ?? JSON.stringify({ errors: [{ code: "INJECTED", message: `injected ${f.status}` }] }), {
          status: f.status, headers: { "Content-Type": "application/json", ...f.headers },
        });
      }
      const headers = new Headers(req.headers);
      headers.delete("host");
      const up = await fetch(`http://${upstream}${url.pathname}${url.search}`, {
        method: req.method, headers, body: req.body, redirect: "manual",
      });
      const outHeaders = new Headers(up.headers);
      outHeaders.delete("content-length");
      outHeaders.delete("content-encoding");
      if (!hit || f.kind === "status") return new Response(up.body, { status: up.status, headers: outHeaders });
      const body = new Uint8Array(await up.arrayBuffer());
      if (f.kind === "replace") {
        outHeaders.set("content-type", f.contentType);
        outHeaders.delete("docker-content-digest");
        return new Response(f.body, { status: up.status, headers: outHeaders });
      }
      if (f.kind === "truncate") return new Response(body.subarray(0, body.length >> 1), { status: up.status, headers: outHeaders });
      if (f.kind === "corrupt") {
        body[body.length >> 1] ^= 0xff;
        return new Response(body, { status: up.status, headers: outHeaders });
      }
      // reset: half the body, then the connection drops, as when the registry is killed mid-transfer.
      outHeaders.set("content-length", String(body.length));
      return new Response(new ReadableStream({
        async start(controller) {
          controller.enqueue(body.subarray(0, body.length >> 1));
          await Bun.sleep(50);
          state.onReset?.();
          controller.error(new Error("registry killed"));
        },
      }), { status: up.status, headers: outHeaders });
    },
  });
  state.host = `127.0.0.1:${server.port}`;
  return state;
}
