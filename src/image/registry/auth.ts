/**
 * Registry authentication: the `/v2/` ping tells which scheme a registry
 * wants (`WWW-Authenticate: Bearer realm=…,service=…` or `Basic`); bearer
 * tokens come from the realm per Docker's token spec (GET, basic auth when
 * credentials exist, `token` or `access_token` in the answer) and are cached
 * per scope, so one pull asks once and reuses the token for every layer.
 */
import { RegistryError } from "../../errors.ts";
import type { Credentials } from "./credentials.ts";
import type { HttpClient } from "./http.ts";

export interface Challenge {
  scheme: "bearer" | "basic" | string;
  params: Record<string, string>;
}

/**
 * Parses a WWW-Authenticate header (RFC 7235) into its challenges.
 * Parameter values may be quoted (with backslash escapes) or tokens; a
 * comma inside quotes (`scope="repository:a:pull,push"`) stays in the value.
 */
export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const s = header;
  const skipWs = () => { while (i < s.length && /[\s,]/.test(s[i]!)) i++; };
  while (i < s.length) {
    skipWs();
    const scheme = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+/.exec(s.slice(i))?.[0];
    if (!scheme) break;
    i += scheme.length;
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    out.push(challenge);
    for (;;) {
      skipWs();
      const m = /^([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*=\s*/.exec(s.slice(i));
      if (!m) break; // the next token is a new scheme
      i += m[0].length;
      let value = "";
      if (s[i] === '"') {
        i++;
        while (i < s.length && s[i] !== '"') {
          if (s[i] === "\\" && i + 1 < s.length) i++;
          value += s[i++];
        }
        i++;
      } else {
        const t = /^[^\s,]*/.exec(s.slice(i))![0];
        value = t;
        i += t.length;
      }
      challenge.params[m[1]!.toLowerCase()] = value;
    }
  }
  return out;
}

/** `repository:NAME:pull` (or `pull,push`): the scope a token is asked for. */
export function repositoryScope(repository: string, actions: "pull" | "pull,push"): string {
  return `repository:${repository}:${actions}`;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Answers "what Authorization header goes with this request" for one registry endpoint. */
export class Authenticator {
  private challenge?: Challenge | null;
  private tokens = new Map<string, CachedToken>();

  constructor(
    private readonly http: HttpClient,
    /** `http://127.0.0.1:5000` */
    private readonly base: string,
    private readonly credentials: Credentials | undefined,
  ) {}

  /** GET /v2/ once: learns the challenge. Throws RegistryError when the registry does not answer like one. */
  async ping(): Promise<void> {
    if (this.challenge !== undefined) return;
    const url = `${this.base}/v2/`;
    const { res } = await this.http.request({ method: "GET", url });
    await res.body?.cancel().catch(() => {});
    if (res.status === 401) {
      const header = res.headers.get("www-authenticate");
      const challenges = header ? parseChallenges(header) : [];
      this.challenge = challenges.find((c) => c.scheme === "bearer") ?? challenges.find((c) => c.scheme === "basic") ?? null;
      if (!this.challenge) throw new RegistryError(401, "GET", url, "unauthorized, and no usable WWW-Authenticate challenge");
      return;
    }
    if (res.status >= 200 && res.status < 300) {
      this.challenge = null;
      return;
    }
    throw new RegistryError(res.status, "GET", url, res.statusText || "not a registry", {
      hint: "Check the registry address; Docker Registry HTTP API v2 is expected at /v2/.",
    });
  }

  /** The Authorization header for a request in `scopes`, or undefined for an open registry. */
  async header(scopes: string[]): Promise<string | undefined> {
    await this.ping();
    const c = this.challenge;
    if (!c) return undefined;
    if (c.scheme === "basic") return this.credentials ? basic(this.credentials) : undefined;
    return `Bearer ${await this.token(c, scopes)}`;
  }

  /** After a 401: a new challenge may ask for another scope; forget cached tokens for these scopes. */
  invalidate(scopes: string[], header: string | null): void {
    this.tokens.delete(scopes.join(" "));
    const c = header ? parseChallenges(header).find((x) => x.scheme === "bearer" || x.scheme === "basic") : undefined;
    if (c) this.challenge = c;
  }

  get hasCredentials(): boolean {
    return this.credentials !== undefined;
  }

  private async token(c: Challenge, scopes: string[]): Promise<string> {
    const key = scopes.join(" ");
    const hit = this.tokens.get(key);
    if (hit && hit.expiresAt > Date.now()) return hit.token;
    const realm = c.params.realm;
    if (!realm) throw new RegistryError(401, "GET", `${this.base}/v2/`, "bearer challenge without a realm");
    const url = new URL(realm);
    if (c.params.service) url.searchParams.set("service", c.params.service);
    for (const s of scopes) url.searchParams.append("scope", s);
    const headers: Record<string, string> = {};
    if (this.credentials) headers.Authorization = basic(this.credentials);
    const { res } = await this.http.request({ method: "GET", url: url.toString(), headers });
    const text = await res.text();
    if (res.status !== 200) {
      throw new RegistryError(res.status, "GET", url.toString(), `token request failed${detail(text)}`, {
        code: "AUTH",
        hint: res.status === 401 ? "Check the username and password ('rr login')." : undefined,
      });
    }
    let doc: { token?: string; access_token?: string; expires_in?: number; issued_at?: string };
    try { doc = JSON.parse(text); } catch {
      throw new RegistryError(200, "GET", url.toString(), "token response is not JSON");
    }
    const token = doc.token ?? doc.access_token;
    if (!token) throw new RegistryError(200, "GET", url.toString(), "token response has no token");
    // The spec's default lifetime is 60 s; keep a margin so a token does not expire mid-request.
    const lifetime = Math.max(10, doc.expires_in ?? 60) * 1000;
    const issued = doc.issued_at ? Date.parse(doc.issued_at) : NaN;
    const start = Number.isNaN(issued) ? Date.now() : Math.min(Date.now(), issued);
    this.tokens.set(key, { token, expiresAt: start + lifetime - 5_000 });
    return token;
  }
}

function basic(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString("base64")}`;
}

function detail(text: string): string {
  try {
    const d = JSON.parse(text) as { details?: string; errors?: { message?: string }[] };
    const m = d.errors?.[0]?.message ?? d.details;
    return m ? `: ${m}` : "";
  } catch {
    return text && text.length < 120 ? `: ${text.trim()}` : "";
  }
}
