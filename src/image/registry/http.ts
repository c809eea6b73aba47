/**
 * HTTP for registries: timeouts, bounded retries with exponential backoff
 * (5xx, 429 with its Retry-After, reset connections), and redirects followed
 * by hand so that credentials never travel to another host (blob storage
 * behind a redirect must not see the registry's Authorization header).
 */
import { RegistryError } from "../../errors.ts";

export interface HttpOptions {
  /** Attempts per request, the first included. */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** How long a server may take to send response headers. */
  headersTimeoutMs?: number;
  /** How long a response body may stall between chunks. */
  idleTimeoutMs?: number;
  maxRedirects?: number;
  sleep?: (ms: number) => Promise<void>;
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
}

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  /** Bytes can be sent again on a retry; a stream cannot, so streamed requests get one attempt. */
  body?: Uint8Array | ReadableStream<Uint8Array>;
}

export interface HttpResponse {
  res: Response;
  /** The URL that answered, after redirects. */
  url: string;
  /** The response body as chunks; stalls longer than the idle timeout abort it. */
  chunks(): AsyncGenerator<Uint8Array>;
}

const DEFAULTS = {
  maxAttempts: 4, baseDelayMs: 250, maxDelayMs: 8_000, headersTimeoutMs: 30_000, idleTimeoutMs: 60_000, maxRedirects: 10,
};
/** A Retry-After beyond this is not waited for: the request fails and says why. */
export const MAX_RETRY_AFTER_MS = 60_000;

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 502 || status === 503 || status === 504 || status === 500;
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Exponential backoff for attempt n (1-based), capped; Retry-After wins when the server sent one. */
export function backoffDelay(attempt: number, retryAfterMs: number | undefined, opts: { baseDelayMs?: number; maxDelayMs?: number } = {}): number {
  if (retryAfterMs !== undefined) return retryAfterMs;
  const base = opts.baseDelayMs ?? DEFAULTS.baseDelayMs;
  return Math.min(opts.maxDelayMs ?? DEFAULTS.maxDelayMs, base * 2 ** (attempt - 1));
}

/** Headers for the next hop of a redirect: Authorization is dropped when the host changes. */
export function redirectHeaders(headers: Record<string, string>, from: string, to: string): Record<string, string> {
  if (new URL(from).host === new URL(to).host) return headers;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() !== "authorization") out[k] = v;
  return out;
}

/** Connection failures worth another try; a refused connection is not (nobody listens). */
function isTransient(err: unknown): boolean {
  const code = (err as { code?: string }).code ?? "";
  return /ECONNRESET|ConnectionClosed|EPIPE|ETIMEDOUT|Timeout|socket|UND_ERR/i.test(code + " " + String((err as Error).message ?? ""))
    && !/refused/i.test(code + String((err as Error).message ?? ""));
}

export function describeNetworkError(err: unknown): string {
  const code = (err as { code?: string }).code;
  if (code === "ConnectionRefused" || code === "ECONNREFUSED") return "connection refused";
  if ((err as Error).name === "TimeoutError" || code === "ETIMEDOUT") return "timed out";
  if (code === "ECONNRESET" || code === "ConnectionClosed") return "connection reset";
  return (err as Error).message || String(err);
}

export class HttpClient {
  private readonly o: Required<Omit<HttpOptions, "sleep" | "fetch">> & Pick<HttpOptions, "sleep" | "fetch">;

  constructor(opts: HttpOptions = {}) {
    this.o = { ...DEFAULTS, ...opts };
  }

  /** Sends a request; resolves with the final response (any status), throws RegistryError when no response came. */
  async request(req: HttpRequest): Promise<HttpResponse> {
    const replayable = !(req.body instanceof ReadableStream);
    const attempts = replayable ? this.o.maxAttempts : 1;
    for (let attempt = 1; ; attempt++) {
      let r: HttpResponse;
      try {
        r = await this.followRedirects(req);
      } catch (err) {
        if (err instanceof RegistryError || attempt >= attempts || !isTransient(err)) {
          throw err instanceof RegistryError ? err : new RegistryError(undefined, req.method, req.url, describeNetworkError(err), { cause: undefined });
        }
        await this.sleep(backoffDelay(attempt, undefined, this.o));
        continue;
      }
      if (!isRetryableStatus(r.res.status) || attempt >= attempts) return r;
      const retryAfter = parseRetryAfter(r.res.headers.get("retry-after"));
      if (retryAfter !== undefined && retryAfter > MAX_RETRY_AFTER_MS) return r;
      await r.res.body?.cancel().catch(() => {});
      await this.sleep(backoffDelay(attempt, retryAfter, this.o));
    }
  }

  private async followRedirects(req: HttpRequest): Promise<HttpResponse> {
    let url = req.url;
    let method = req.method;
    let headers = req.headers ?? {};
    let body = req.body;
    for (let hop = 0; hop <= this.o.maxRedirects; hop++) {
      const { res, controller } = await this.once(method, url, headers, body);
      const location = res.headers.get("location");
      if (res.status < 300 || res.status >= 400 || res.status === 304 || !location) {
        return { res, url, chunks: () => this.chunks(res, controller) };
      }
      await res.body?.cancel().catch(() => {});
      const next = new URL(location, url).toString();
      headers = redirectHeaders(headers, url, next);
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === "POST")) {
        method = "GET";
        body = undefined;
      }
      url = next;
    }
    throw new RegistryError(undefined, req.method, req.url, `more than ${this.o.maxRedirects} redirects`);
  }

  private async once(method: string, url: string, headers: Record<string, string>, body: HttpRequest["body"]) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DOMException("timed out", "TimeoutError")), this.o.headersTimeoutMs);
    try {
      const doFetch = this.o.fetch ?? ((u: string, i: RequestInit) => fetch(u, i));
      const res = await doFetch(url, { method, headers, body, redirect: "manual", signal: controller.signal, ...(body instanceof ReadableStream ? { duplex: "half" } : {}) } as RequestInit);
      return { res, controller };
    } finally {
      clearTimeout(timer);
    }
  }

  private async *chunks(res: Response, controller: AbortController): AsyncGenerator<Uint8Array> {
    if (!res.body) return;
    const reader = res.body.getReader();
    try {
      for (;;) {
        const timer = setTimeout(() => controller.abort(new DOMException("timed out", "TimeoutError")), this.o.idleTimeoutMs);
        let step: { done: boolean; value?: Uint8Array };
        try { step = await reader.read(); } finally { clearTimeout(timer); }
        if (step.done) return;
        yield step.value!;
      }
    } finally {
      reader.releaseLock();
      // An abandoned body (error, Ctrl-C) must not keep the connection busy.
      controller.abort();
    }
  }

  private sleep(ms: number): Promise<void> {
    return this.o.sleep ? this.o.sleep(ms) : new Promise((r) => setTimeout(r, ms));
  }
}
