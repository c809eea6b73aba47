/**
 * A client of the OCI distribution API for one registry: manifests and
 * blobs for pulls (through docker.io mirrors first, the origin last),
 * and HEAD / cross-repository mount / upload / manifest PUT for pushes.
 */
import { createHash } from "node:crypto";
import { DigestMismatchError, RegistryError, RrError } from "../../errors.ts";
import { validateDigest, type Reference } from "../reference.ts";
import { Authenticator, repositoryScope } from "./auth.ts";
import { lookupCredentials, type Credentials } from "./credentials.ts";
import { loadRegistryConfig, type RegistryConfig } from "./daemon-config.ts";
import { originEndpoint, readEndpoints, type Endpoint } from "./endpoints.ts";
import { HttpClient, describeNetworkError, type HttpOptions, type HttpResponse } from "./http.ts";
import { classifyManifest, MANIFEST_ACCEPT } from "./manifest-response.ts";
import { uploadBlob } from "./upload.ts";
import { responseError } from "./response-error.ts";

export interface ManifestResponse {
  bytes: Uint8Array;
  mediaType: string;
  digest: string;
  /** The endpoint that answered (a mirror or the origin). */
  source: string;
}

export interface BlobResponse {
  chunks: AsyncIterable<Uint8Array>;
  size?: number;
}

export interface ClientOptions {
  config?: RegistryConfig;
  /** undefined: look them up; null: anonymous. */
  credentials?: Credentials | null;
  env?: Record<string, string | undefined>;
  http?: HttpOptions;
}

type Env = Record<string, string | undefined>;
export const MAX_MANIFEST_BYTES = 4 << 20;

export class RegistryClient {
  readonly http: HttpClient;
  private readonly config: RegistryConfig;
  private readonly env: Env;
  private readonly credentials: Credentials | undefined;
  private readonly auths = new Map<string, Authenticator>();

  constructor(readonly registry: string, opts: ClientOptions = {}) {
    this.env = opts.env ?? process.env;
    this.config = opts.config ?? loadRegistryConfig(this.env);
    this.credentials = opts.credentials === null ? undefined : opts.credentials ?? lookupCredentials(registry, this.env);
    this.http = new HttpClient(opts.http);
  }

  get origin(): Endpoint {
    return originEndpoint(this.registry, this.config, this.env);
  }

  /** Checks that the origin answers /v2/ and that the credentials (if any) are accepted. */
  async checkLogin(): Promise<void> {
    const auth = this.authFor(this.origin);
    await auth.ping();
    const header = await auth.header([]);
    if (header?.startsWith("Basic ")) {
      // Basic auth is checked only by an authenticated request.
      const r = await this.http.request({ method: "GET", url: `${this.origin.base}/v2/`, headers: { Authorization: header } });
      if (r.res.status !== 200) throw await responseError(r, "GET");
      await r.res.body?.cancel().catch(() => {});
    }
  }

  /** The manifest or index `ref` names (by digest when it has one, else by tag). */
  async getManifest(ref: Reference, accept = MANIFEST_ACCEPT): Promise<ManifestResponse> {
    this.checkRegistry(ref);
    const reference = ref.digest ?? ref.tag ?? "latest";
    if (ref.digest) validateDigest(ref.digest);
    return this.tryEndpoints(async (ep) => {
      const path = `/v2/${ref.repository}/manifests/${reference}`;
      const r = await this.send(ep, [repositoryScope(ref.repository, "pull")], { method: "GET", path, headers: { Accept: accept } });
      if (r.res.status !== 200) throw await responseError(r, "GET", this.notFoundHint(ref, ep));
      const bytes = await readLimited(r, MAX_MANIFEST_BYTES, "GET");
      const what = `manifest ${ref.repository}:${reference}`;
      const algorithm = ref.digest ? ref.digest.slice(0, ref.digest.indexOf(":")) : "sha256";
      const digest = `${algorithm}:${createHash(algorithm).update(bytes).digest("hex")}`;
      if (ref.digest && digest !== ref.digest) throw new DigestMismatchError(ref.digest, digest, what);
      const claimed = r.res.headers.get("docker-content-digest");
      if (!ref.digest && claimed && claimed.startsWith("sha256:") && claimed !== digest) {
        throw new DigestMismatchError(claimed, digest, `${what} (Docker-Content-Digest)`);
      }
      const mediaType = classifyManifest(bytes, r.res.headers.get("content-type"), what);
      return { bytes, mediaType, digest, source: ep.base };
    });
  }

  /** Every tag of the repository (`GET /v2/<name>/tags/list`, following `Link: <…>; rel="next"` pages). */
  async listTags(ref: Reference): Promise<string[]> {
    this.checkRegistry(ref);
    return this.tryEndpoints(async (ep) => {
      const tags: string[] = [];
      let path: string | undefined = `/v2/${ref.repository}/tags/list?n=1000`;
      for (let page = 0; path && page < 1000; page++) {
        const r = await this.send(ep, [repositoryScope(ref.repository, "pull")], { method: "GET", path });
        if (r.res.status !== 200) throw await responseError(r, "GET", this.notFoundHint(ref, ep));
        const link = r.res.headers.get("link");
        const body = JSON.parse(new TextDecoder().decode(await readLimited(r, MAX_MANIFEST_BYTES, "GET"))) as { tags?: string[] | null };
        tags.push(...(body.tags ?? []));
        path = link ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(link)?.[1] : undefined;
      }
      return tags;
    });
  }

  /** Streams a blob. The caller verifies digest and size (BlobStore.stage does). */
  async blobStream(ref: Reference, digest: string): Promise<BlobResponse> {
    this.checkRegistry(ref);
    validateDigest(digest, "blob digest");
    const path = `/v2/${ref.repository}/blobs/${digest}`;
    const scopes = [repositoryScope(ref.repository, "pull")];
    let used: Endpoint | undefined;
    const first = await this.tryEndpoints(async (ep) => {
      const r = await this.send(ep, scopes, { method: "GET", path });
      if (r.res.status !== 200) throw await responseError(r, "GET");
      used = ep;
      return r;
    });
    const len = Number(first.res.headers.get("content-length") ?? NaN);
    return { chunks: this.resumingChunks(first, used!, path, scopes), size: Number.isSafeInteger(len) ? len : undefined };
  }

  /**
   * A blob's chunks. When a mirror breaks off in the middle, the rest comes
   * from the next endpoint (and finally the origin) with a Range request;
   * a server that ignores Range sends it all again and the bytes already
   * given are skipped. The caller's digest check covers the seam.
   */
  private async *resumingChunks(first: HttpResponse, firstEp: Endpoint, path: string, scopes: string[]): AsyncGenerator<Uint8Array> {
    const eps = readEndpoints(this.registry, this.config, this.env);
    let at = eps.findIndex((e) => e.base === firstEp.base);
    let r = first;
    let given = 0;
    for (;;) {
      try {
        for await (const c of guardedChunks(r, "GET")) {
          given += c.length;
          yield c;
        }
        return;
      } catch (err) {
        if (!eps[at]?.mirror || at + 1 >= eps.length) throw err;
      }
      at++;
      let skip = 0;
      r = await this.send(eps[at]!, scopes, { method: "GET", path, headers: { Range: `bytes=${given}-` } });
      if (r.res.status === 200) skip = given;
      else if (r.res.status !== 206) throw await responseError(r, "GET");
      if (skip) {
        const rest = r;
        r = { ...rest, chunks: () => skipBytes(rest.chunks(), skip) } as HttpResponse;
      }
    }
  }

  /** A non-distributable ("foreign") layer from one of its URLs; no credentials go there. */
  async foreignBlob(url: string): Promise<BlobResponse> {
    if (!/^https?:\/\//.test(url)) throw new RrError(`refusing foreign layer URL "${url}": only http and https are fetched`);
    const r = await this.http.request({ method: "GET", url });
    if (r.res.status !== 200) throw await responseError(r, "GET");
    return { chunks: guardedChunks(r, "GET") };
  }

  async headBlob(ref: Reference, digest: string): Promise<boolean> {
    this.checkRegistry(ref);
    validateDigest(digest, "blob digest");
    const r = await this.send(this.origin, [repositoryScope(ref.repository, "pull,push")], { method: "HEAD", path: `/v2/${ref.repository}/blobs/${digest}` });
    await r.res.body?.cancel().catch(() => {});
    if (r.res.status === 200) return true;
    if (r.res.status === 404) return false;
    throw await responseError(r, "HEAD");
  }

  /** Asks the registry to link a blob from another repository; false when it would rather have an upload. */
  async mountBlob(ref: Reference, digest: string, fromRepository: string): Promise<boolean> {
    this.checkRegistry(ref);
    validateDigest(digest, "blob digest");
    const scopes = [repositoryScope(ref.repository, "pull,push"), repositoryScope(fromRepository, "pull")];
    const q = new URLSearchParams({ mount: digest, from: fromRepository });
    const r = await this.send(this.origin, scopes, { method: "POST", path: `/v2/${ref.repository}/blobs/uploads/?${q}`, headers: { "Content-Length": "0" } });
    await r.res.body?.cancel().catch(() => {});
    if (r.res.status === 201) return true;
    if (r.res.status === 202) {
      // The registry opened an upload session instead; close it so it does not linger.
      const loc = r.res.headers.get("location");
      if (loc) await this.send(this.origin, scopes, { method: "DELETE", url: new URL(loc, this.origin.base).toString() }).then((x) => x.res.body?.cancel(), () => {});
      return false;
    }
    throw await responseError(r, "POST");
  }

  /** Uploads a blob: monolithic (POST, then PUT with the body) or, with chunkSize, PATCH by PATCH. */
  async uploadBlob(ref: Reference, digest: string, size: number, source: AsyncIterable<Uint8Array>, opts: { chunkSize?: number } = {}): Promise<void> {
    this.checkRegistry(ref);
    validateDigest(digest, "blob digest");
    const scopes = [repositoryScope(ref.repository, "pull,push")];
    await uploadBlob({
      send: (req) => this.send(this.origin, scopes, req),
      base: this.origin.base, repository: ref.repository, digest, size, source, chunkSize: opts.chunkSize,
    });
  }

  /** PUTs a manifest under the ref's tag (or digest); returns the manifest's digest. */
  async putManifest(ref: Reference, bytes: Uint8Array, mediaType: string): Promise<string> {
    this.checkRegistry(ref);
    const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    const reference = ref.digest ?? ref.tag ?? "latest";
    const r = await this.send(this.origin, [repositoryScope(ref.repository, "pull,push")], {
      method: "PUT", path: `/v2/${ref.repository}/manifests/${reference}`, headers: { "Content-Type": mediaType }, body: bytes,
    });
    await r.res.body?.cancel().catch(() => {});
    if (r.res.status !== 201 && r.res.status !== 200) throw await responseError(r, "PUT");
    return r.res.headers.get("docker-content-digest") ?? digest;
  }

  /**
   * One authenticated request. A 401 with a fresh challenge (another scope,
   * an expired token) gets one more try when the body can be sent again.
   */
  async send(ep: Endpoint, scopes: string[], req: { method: string; path?: string; url?: string; headers?: Record<string, string>; body?: Uint8Array | ReadableStream<Uint8Array> }): Promise<HttpResponse> {
    const auth = this.authFor(ep);
    const url = req.url ?? `${ep.base}${req.path}`;
    for (let attempt = 0; ; attempt++) {
      const header = await auth.header(scopes);
      const headers = { ...(req.headers ?? {}), ...(header ? { Authorization: header } : {}) };
      const r = await this.http.request({ method: req.method, url, headers, body: req.body });
      if (r.res.status !== 401 || attempt > 0 || req.body instanceof ReadableStream) return r;
      auth.invalidate(scopes, r.res.headers.get("www-authenticate"));
      await r.res.body?.cancel().catch(() => {});
    }
  }

  private authFor(ep: Endpoint): Authenticator {
    let a = this.auths.get(ep.base);
    if (!a) {
      // Mirrors get no Docker Hub credentials: they are other parties.
      a = new Authenticator(this.http, ep.base, ep.mirror ? lookupCredentials(new URL(ep.base).host, this.env) : this.credentials);
      this.auths.set(ep.base, a);
    }
    return a;
  }

  /** Mirrors first; any mirror failure (even 404) falls through to the next, the origin's error is the one reported. */
  private async tryEndpoints<T>(fn: (ep: Endpoint) => Promise<T>): Promise<T> {
    const eps = readEndpoints(this.registry, this.config, this.env);
    for (let i = 0; ; i++) {
      try {
        return await fn(eps[i]!);
      } catch (err) {
        if (i === eps.length - 1 || !(err instanceof RrError)) throw err;
      }
    }
  }

  private notFoundHint(ref: Reference, ep: Endpoint): string | undefined {
    return ep.mirror ? undefined : `Check the name and tag: ${ref.familiar()} may not exist, or may need 'rr login ${ref.registry}'.`;
  }

  private checkRegistry(ref: Reference): void {
    if (ref.registry !== this.registry) throw new RrError(`internal: a client of ${this.registry} was asked about ${ref.toString()}`);
  }
}

async function* skipBytes(chunks: AsyncIterable<Uint8Array>, n: number): AsyncGenerator<Uint8Array> {
  for await (const c of chunks) {
    if (n >= c.length) { n -= c.length; continue; }
    yield n ? c.subarray(n) : c;
    n = 0;
  }
}

async function readLimited(r: HttpResponse, max: number, method: string): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const c of guardedChunks(r, method)) {
    n += c.length;
    if (n > max) throw new RegistryError(r.res.status, method, r.url, `response larger than ${max} bytes`);
    parts.push(c);
  }
  return Buffer.concat(parts);
}

/** The body's chunks, a broken connection turned into a one-line RegistryError. */
async function* guardedChunks(r: HttpResponse, method: string): AsyncGenerator<Uint8Array> {
  let n = 0;
  try {
    for await (const c of r.chunks()) {
      n += c.length;
      yield c;
    }
  } catch (err) {
    throw new RegistryError(undefined, method, r.url, `${describeNetworkError(err)} after ${n} bytes`);
  }
}
