/**
 * Docker image references: `[registry[:port]/]repository[:tag][@digest]`,
 * normalized the way Docker does (`busybox` → `docker.io/library/busybox:latest`).
 * The grammar is distribution/reference's; errors name the part that breaks.
 */
import { UsageError } from "../errors.ts";

export const DEFAULT_REGISTRY = "docker.io";
export const DEFAULT_TAG = "latest";

export interface Reference {
  registry: string;
  /** Path below the registry, e.g. `library/busybox`. */
  repository: string;
  tag?: string;
  digest?: string;
  /** `registry/repository` without tag or digest. */
  name(): string;
  /** Docker's short repository name: `busybox`, `foo/bar`, `localhost:5000/x`. */
  familiarName(): string;
  /** The full form: `docker.io/library/busybox:latest`. */
  toString(): string;
  /** Docker's short form: `busybox:latest`, `localhost:5000/x:y`. */
  familiar(): string;
}

const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const PORT = /^[0-9]+$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST_ALGORITHMS: Record<string, number> = { sha256: 64, sha512: 128 };
const MAX_NAME = 255;

/**
 * Accepts only registered algorithms with the exact hex length. Call this
 * before a digest becomes part of any path (CVE-2024-3727).
 */
export function validateDigest(digest: string, what = "digest"): { algorithm: string; hex: string } {
  const colon = digest.indexOf(":");
  const algorithm = colon < 0 ? "" : digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  const len = DIGEST_ALGORITHMS[algorithm];
  if (colon < 0 || len === undefined) {
    throw new UsageError(`invalid ${what} "${digest}": expected sha256:<64 hex digits>`);
  }
  if (hex.length !== len || !/^[0-9a-f]+$/.test(hex)) {
    throw new UsageError(`invalid ${what} "${digest}": expected ${algorithm}:<${len} lowercase hex digits>`);
  }
  return { algorithm, hex };
}

export function isValidDigest(digest: string): boolean {
  try { validateDigest(digest); return true; } catch { return false; }
}

/**
 * Parses and normalizes a reference. A reference without tag or digest gets
 * `:latest` unless `defaultTag` is false.
 */
export function parseReference(input: string, opts: { defaultTag?: boolean } = {}): Reference {
  const fail = (why: string): never => { throw new UsageError(`invalid reference "${input}": ${why}`); };
  if (input === "") fail("it is empty");
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isValidDigest(digest)) fail(`invalid digest "${digest}" (expected sha256:<64 hex digits>)`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) fail(`invalid tag "${tag}"`);
  }
  if (rest === "") fail("the repository name is empty");
  const parts = rest.split("/");
  let registry = DEFAULT_REGISTRY;
  const first = parts[0]!;
  // Docker's rule: the first component is a registry when it looks like a
  // host (has a dot or port, is localhost, or has uppercase letters).
  if (parts.length > 1 && (/[.:]/.test(first) || first === "localhost" || first.toLowerCase() !== first)) {
    registry = first;
    parts.shift();
    validateDomain(registry, fail);
  }
  for (const p of parts) {
    if (p === "") fail("it has an empty path component");
    if (p.toLowerCase() !== p && PATH_COMPONENT.test(p.toLowerCase())) fail("repository name must be lowercase");
    if (!PATH_COMPONENT.test(p)) fail(`invalid repository component "${p}"`);
  }
  if (registry === "index.docker.io") registry = DEFAULT_REGISTRY;
  if (registry === DEFAULT_REGISTRY && parts.length === 1) parts.unshift("library");
  const repository = parts.join("/");
  if (`${registry}/${repository}`.length > MAX_NAME) fail(`repository name is longer than ${MAX_NAME} characters`);
  if (tag === undefined && digest === undefined && opts.defaultTag !== false) tag = DEFAULT_TAG;
  return makeReference(registry, repository, tag, digest);
}

function validateDomain(domain: string, fail: (why: string) => never): void {
  const colon = domain.lastIndexOf(":");
  const host = colon >= 0 && !domain.endsWith("]") ? domain.slice(0, colon) : domain;
  const port = colon >= 0 && !domain.endsWith("]") ? domain.slice(colon + 1) : undefined;
  if (port !== undefined && !PORT.test(port)) fail(`invalid port "${port}" in registry "${domain}"`);
  if (/^\[[0-9a-fA-F:]+\]$/.test(host)) return; // IPv6 literal
  for (const c of host.split(".")) {
    if (!DOMAIN_COMPONENT.test(c)) fail(`invalid registry "${domain}"`);
  }
}

function makeReference(registry: string, repository: string, tag?: string, digest?: string): Reference {
  const suffix = (tag ? `:${tag}` : "") + (digest ? `@${digest}` : "");
  const familiarName = (): string => {
    if (registry !== DEFAULT_REGISTRY) return `${registry}/${repository}`;
    const short = repository.startsWith("library/") ? repository.slice("library/".length) : repository;
    return short.includes("/") && repository.startsWith("library/") ? repository : short;
  };
  return {
    registry, repository, tag, digest,
    name: () => `${registry}/${repository}`,
    familiarName,
    toString: () => `${registry}/${repository}${suffix}`,
    familiar: () => familiarName() + suffix,
  };
}

/** The familiar form of a stored full name; the name itself if it does not parse. */
export function familiarize(fullName: string): string {
  try { return parseReference(fullName, { defaultTag: false }).familiar(); } catch { return fullName; }
}
