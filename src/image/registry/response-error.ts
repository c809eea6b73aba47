/**
 * Turns a registry's error response into a one-line RegistryError, using the
 * registry's own message (`{"errors":[{"code","message"}]}`) and a hint.
 */
import { RegistryError } from "../../errors.ts";
import type { HttpResponse } from "./http.ts";

/** RegistryError for a non-success response, with the registry's own error message when it sent one. */
export async function responseError(r: HttpResponse, method: string, notFoundHint?: string): Promise<RegistryError> {
  let text = "";
  try { text = method === "HEAD" ? "" : (await r.res.text()).slice(0, 4096); } catch {}
  let message = r.res.statusText || "error";
  let code: string | undefined;
  try {
    const doc = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    const e = doc.errors?.[0];
    if (e?.message) message = e.message;
    code = e?.code;
  } catch {}
  const status = r.res.status;
  const host = new URL(r.url).host;
  const hint = status === 401 ? `Log in with 'rr login ${host}', or check the credentials.`
    : status === 403 ? "The registry refused access; check your permissions for this repository."
    : status === 404 ? notFoundHint
    : status === 429 ? "The registry asks to slow down; try again later."
    : undefined;
  return new RegistryError(status, method, r.url, message, { hint, code: code ? `REGISTRY_${code}` : undefined });
}

