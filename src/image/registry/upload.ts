/**
 * Blob uploads (distribution spec "pushing blobs"): POST opens a session,
 * then either one PUT carries the whole body (monolithic) or PATCHes carry
 * chunks with Content-Range and a final PUT closes it with the digest.
 */
import { RegistryError } from "../../errors.ts";
import type { HttpResponse } from "./http.ts";
import { responseError } from "./response-error.ts";

interface UploadRequest {
  send(req: { method: string; path?: string; url?: string; headers?: Record<string, string>; body?: Uint8Array | ReadableStream<Uint8Array> }): Promise<HttpResponse>;
  base: string;
  repository: string;
  digest: string;
  size: number;
  source: AsyncIterable<Uint8Array>;
  chunkSize?: number;
}

export async function uploadBlob(u: UploadRequest): Promise<void> {
  const start = await u.send({ method: "POST", path: `/v2/${u.repository}/blobs/uploads/`, headers: { "Content-Length": "0" } });
  await start.res.body?.cancel().catch(() => {});
  if (start.res.status !== 202) throw await responseError(start, "POST");
  let location = nextLocation(start, u.base);
  if (!u.chunkSize) {
    const r = await u.send({
      method: "PUT", url: withDigest(location, u.digest), body: toStream(u.source),
      headers: { "Content-Type": "application/octet-stream", "Content-Length": String(u.size) },
    });
    if (r.res.status !== 201) throw await responseError(r, "PUT");
    await r.res.body?.cancel().catch(() => {});
    return;
  }
  let offset = 0;
  for await (const chunk of rechunk(u.source, u.chunkSize)) {
    const r = await u.send({
      method: "PATCH", url: location, body: chunk,
      headers: {
        "Content-Type": "application/octet-stream", "Content-Length": String(chunk.length),
        "Content-Range": `${offset}-${offset + chunk.length - 1}`,
      },
    });
    await r.res.body?.cancel().catch(() => {});
    if (r.res.status !== 202) throw await responseError(r, "PATCH");
    offset += chunk.length;
    location = nextLocation(r, u.base);
  }
  if (offset !== u.size) throw new RegistryError(undefined, "PATCH", location, `uploaded ${offset} bytes but the blob has ${u.size}`);
  const done = await u.send({ method: "PUT", url: withDigest(location, u.digest), headers: { "Content-Length": "0" } });
  await done.res.body?.cancel().catch(() => {});
  if (done.res.status !== 201) throw await responseError(done, "PUT");
}

function nextLocation(r: HttpResponse, base: string): string {
  const loc = r.res.headers.get("location");
  if (!loc) throw new RegistryError(r.res.status, "POST", r.url, "upload response has no Location");
  return new URL(loc, base).toString();
}

function withDigest(location: string, digest: string): string {
  const u = new URL(location);
  u.searchParams.set("digest", digest);
  return u.toString();
}

/** Groups a stream into chunks of exactly `size` bytes (the last may be shorter). */
export async function* rechunk(source: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Uint8Array> {
  let buf = Buffer.alloc(0);
  for await (const c of source) {
    buf = Buffer.concat([buf, c]);
    while (buf.length >= size) {
      yield buf.subarray(0, size);
      buf = buf.subarray(size);
    }
  }
  if (buf.length) yield buf;
}

function toStream(source: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const it = source[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await it.next();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    async cancel() {
      await it.return?.();
    },
  });
}
