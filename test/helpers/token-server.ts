/**
 * A token server that follows Docker's token spec, for a distribution 2.8
 * registry configured with `auth.token`: GET /token?service=&scope= with
 * optional basic auth answers `{token, access_token, expires_in, issued_at}`,
 * a JWT signed RS256 whose `x5c` header carries a self-signed certificate
 * (made by openssl at test time) that the registry trusts as its root.
 */
import { createPrivateKey, createSign, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RegistryUser } from "./registry.ts";

export interface TokenServer {
  realm: string;
  service: string;
  issuer: string;
  certFile: string;
  /** Token requests served so far, with the scopes asked and who asked. */
  requests: { scopes: string[]; user?: string }[];
  stop(): void;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString("base64url");

export function startTokenServer(opts: { users: RegistryUser[]; anonymousPull?: boolean }): TokenServer {
  const dir = mkdtempSync(join(tmpdir(), "rr-token-"));
  const keyFile = join(dir, "key.pem");
  const certFile = join(dir, "cert.pem");
  const r = Bun.spawnSync(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keyFile, "-out", certFile, "-subj", "/CN=rr-test-token", "-days", "2"], { stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`openssl failed: ${r.stderr.toString()}`);
  const key = createPrivateKey(readFileSync(keyFile));
  const certDer = new X509Certificate(readFileSync(certFile)).raw;
  const service = "rr-test-registry";
  const issuer = "rr-test-issuer";
  const requests: TokenServer["requests"] = [];

  const sign = (sub: string, access: { type: string; name: string; actions: string[] }[]) => {
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: "JWT", alg: "RS256", x5c: [certDer.toString("base64")] };
    const claims = { iss: issuer, sub, aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: crypto.randomUUID(), access };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    return `${input}.${b64url(createSign("RSA-SHA256").update(input).sign(key))}`;
  };

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      const url = new URL(req.url);
      if (url.pathname !== "/token") return new Response("not found", { status: 404 });
      const scopes = url.searchParams.getAll("scope");
      let user: string | undefined;
      const auth = req.headers.get("authorization");
      if (auth?.startsWith("Basic ")) {
        const [u, ...p] = Buffer.from(auth.slice(6), "base64").toString().split(":");
        if (!opts.users.some((x) => x.user === u && x.password === p.join(":"))) {
          requests.push({ scopes, user: u });
          return Response.json({ details: "incorrect username or password" }, { status: 401 });
        }
        user = u;
      }
      requests.push({ scopes, user });
      const access = scopes.flatMap((s) => {
        const [type, name, actions] = s.split(":");
        if (type !== "repository" || !name || !actions) return [];
        const granted = actions.split(",").filter((a) => user !== undefined || (opts.anonymousPull && a === "pull"));
        return [{ type, name, actions: granted }];
      });
      const token = sign(user ?? "", access);
      return Response.json({ token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() });
    },
  });
  return {
    realm: `http://127.0.0.1:${server.port}/token`, service, issuer, certFile, requests,
    stop: () => { server.stop(true); rmSync(dir, { recursive: true, force: true }); },
  };
}
