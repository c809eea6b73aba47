/**
 * `ADD http(s)://… DEST`: the file is downloaded at every build (its
 * content is what the cache keys on, as Docker's classic builder does),
 * stored with mode 0600 and the Last-Modified time, named after the URL's
 * last path component when DEST is a directory, and never extracted.
 * `--checksum=sha256:…` is verified.
 */
import { createHash } from "node:crypto";
import { posix } from "node:path";
import { RrError, UsageError } from "../../errors.ts";
import type { SourceTree } from "./source-tree.ts";

export const isUrl = (s: string) => /^https?:\/\//i.test(s);

/** Docker's urlutil.IsGitURL, roughly: these name repositories, not files. */
export const isGitUrl = (s: string) => /^git(@|:\/\/)/.test(s) || /^https?:\/\/.*\.git(#.*)?$/.test(s) || /^github\.com\//.test(s);

export async function urlTree(url: string, opts: { checksum?: string; needName: boolean }): Promise<SourceTree> {
  if (isGitUrl(url)) throw new UsageError(`ADD of a git repository is not supported: ${url}`, { hint: "Clone it into the build context and COPY it." });
  let name = "";
  try {
    name = decodeURIComponent(posix.basename(new URL(url).pathname));
  } catch {
    throw new UsageError(`invalid URL "${url}"`);
  }
  if (opts.needName && (name === "" || name === "." || name === "/")) {
    throw new UsageError(`cannot determine filename from url: ${url}`, { hint: "Give the destination a file name instead of a directory." });
  }
  let res: Response;
  try {
    res = await fetch(url, { redirect: "follow" });
  } catch (err) {
    throw new RrError(`failed to GET ${url}: ${(err as Error).message}`, { cause: err });
  }
  if (!res.ok) throw new RrError(`failed to GET ${url} with status ${res.status} ${res.statusText}`.trimEnd());
  const data = new Uint8Array(await res.arrayBuffer());
  if (opts.checksum !== undefined) verify(url, data, opts.checksum);
  const modified = Date.parse(res.headers.get("last-modified") ?? "");
  const mtime = Math.floor((Number.isNaN(modified) ? Date.now() : modified) / 1000);
  return { name, items: [{ rel: "", type: "file", mode: 0o600, uid: 0, gid: 0, mtime, data }] };
}

function verify(url: string, data: Uint8Array, checksum: string): void {
  const m = /^(sha256|sha384|sha512):([0-9a-f]+)$/.exec(checksum);
  if (!m) throw new UsageError(`invalid --checksum "${checksum}": use sha256:HEX (or sha384, sha512)`);
  const got = createHash(m[1]!).update(data).digest("hex");
  if (got !== m[2]) throw new RrError(`digest mismatch for ${url}: expected ${checksum}, got ${m[1]}:${got}`);
}
