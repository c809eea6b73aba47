import { describe, expect, test } from "bun:test";
import { backoffDelay, HttpClient, parseRetryAfter, redirectHeaders } from "../../../src/image/registry/http.ts";
import { RegistryError } from "../../../src/errors.ts";

/** A scripted fetch: each call takes the next response (or error) and records what was asked. */
function script(steps: (Response | Error)[]) {
  const calls: { url: string; headers: Record<string, string>; method: string }[] = [];
  const fetch = async (url: string, init: RequestInit) => {
    calls.push({ url, method: init.method ?? "GET", headers: { ...(init.headers as Record<string, string>) } });
    const s = steps.shift();
    if (!s) throw new Error("no more scripted responses");
    if (s instanceof Error) throw s;
    return s;
  };
  const sleeps: number[] = [];
  return { calls, sleeps, client: new HttpClient({ fetch, sleep: async (ms) => { sleeps.push(ms); } }) };
}

describe("retries", () => {
  test("backoff doubles and is capped; Retry-After wins", () => {
    expect([1, 2, 3].map((n) => backoffDelay(n, undefined, { baseDelayMs: 100 }))).toEqual([100, 200, 400]);
    expect(backoffDelay(20, undefined, { baseDelayMs: 100, maxDelayMs: 1000 })).toBe(1000);
    expect(backoffDelay(1, 3000)).toBe(3000);
  });
  test("parseRetryAfter() reads seconds and HTTP dates", () => {
    expect(parseRetryAfter("2")).toBe(2000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
  test("429 with Retry-After then 200: one retry after the asked delay", async () => {
    const s = script([new Response("", { status: 429, headers: { "Retry-After": "2" } }), new Response("ok")]);
    const r = await s.client.request({ method: "GET", url: "http://r/v2/" });
    expect(r.res.status).toBe(200);
    expect(s.sleeps).toEqual([2000]);
  });
  test("a 5xx is retried a bounded number of times, then returned", async () => {
    const s = script([0, 1, 2, 3].map(() => new Response("", { status: 503 })));
    const r = await s.client.request({ method: "GET", url: "http://r/v2/" });
    expect(r.res.status).toBe(503);
    expect(s.calls.length).toBe(4);
  });
  test("a reset connection is retried; a refused one is not", async () => {
    const reset = Object.assign(new Error("socket closed"), { code: "ECONNRESET" });
    const s = script([reset, new Response("ok")]);
    expect((await s.client.request({ method: "GET", url: "http://r/x" })).res.status).toBe(200);
    const refused = Object.assign(new Error("refused"), { code: "ConnectionRefused" });
    const t = script([refused, new Response("ok")]);
    const err = await t.client.request({ method: "GET", url: "http://r/v2/x" }).catch((e) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err.message).toBe("GET /v2/x: connection refused");
    expect(t.calls.length).toBe(1);
  });
  test("a 404 is not retried", async () => {
    const s = script([new Response("", { status: 404 })]);
    expect((await s.client.request({ method: "GET", url: "http://r/x" })).res.status).toBe(404);
    expect(s.calls.length).toBe(1);
  });
});

describe("redirects", () => {
  test("redirectHeaders() drops Authorization only when the host changes", () => {
    const h = { Authorization: "Bearer t", Accept: "x" };
    expect(redirectHeaders(h, "http://r:5000/a", "http://r:5000/b")).toEqual(h);
    expect(redirectHeaders(h, "http://r:5000/a", "https://blobs.example/b")).toEqual({ Accept: "x" });
  });
  test("a blob redirect to storage is followed without the registry's token", async () => {
    const s = script([
      new Response(null, { status: 307, headers: { Location: "https://storage.example/blob?sig=1" } }),
      new Response("data"),
    ]);
    const r = await s.client.request({ method: "GET", url: "http://r/v2/x/blobs/sha256:1", headers: { Authorization: "Bearer t" } });
    expect(r.url).toBe("https://storage.example/blob?sig=1");
    expect(s.calls[0]!.headers.Authorization).toBe("Bearer t");
    expect(s.calls[1]!.headers.Authorization).toBeUndefined();
  });
  test("a relative redirect on the same host keeps the token", async () => {
    const s = script([new Response(null, { status: 302, headers: { Location: "/other" } }), new Response("data")]);
    await s.client.request({ method: "GET", url: "http://r/v2/x", headers: { Authorization: "Bearer t" } });
    expect(s.calls[1]!.url).toBe("http://r/other");
    expect(s.calls[1]!.headers.Authorization).toBe("Bearer t");
  });
  test("redirect loops end with an error", async () => {
    const s = script(Array.from({ length: 12 }, () => new Response(null, { status: 302, headers: { Location: "/loop" } })));
    const err = await s.client.request({ method: "GET", url: "http://r/v2/x" }).catch((e) => e);
    expect(err.message).toContain("more than 10 redirects");
  });
});
