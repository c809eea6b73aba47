/**
 * What a registry sent as a manifest: its media type, decided from the
 * Content-Type and the document's own `mediaType`, which must agree
 * (CVE-2021-41190: a document must not be read as a manifest by one client
 * and as an index by another). Schema 1 is refused: it has been deprecated
 * since 2017 and carries no content-addressed config.
 */
import { RrError } from "../../errors.ts";
import { isIndexType, isManifestType, MediaType, parseIndex, parseManifest } from "../image-config.ts";

export const MANIFEST_ACCEPT = [MediaType.ociIndex, MediaType.dockerManifestList, MediaType.ociManifest, MediaType.dockerManifest].join(", ");

const SCHEMA1 = /^application\/vnd\.docker\.distribution\.manifest\.v1\+(?:json|prettyjws)$/;
/** Content types that say nothing about the document (some registries and static servers send these). */
const GENERIC = new Set(["", "application/json", "text/plain", "application/octet-stream"]);

export function schema1Error(what: string): RrError {
  return new RrError(`${what} is a Docker schema 1 manifest, which rr does not support`, {
    code: "SCHEMA1",
    hint: "Schema 1 is deprecated since 2017; push the image again with a current Docker, podman or skopeo.",
  });
}

/** Returns the document's media type after checking the bytes parse as that kind of document. */
export function classifyManifest(bytes: Uint8Array, contentType: string | null, what: string): string {
  const ct = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (SCHEMA1.test(ct)) throw schema1Error(what);
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch (err) {
    throw new RrError(`invalid ${what}: not JSON (${(err as Error).message})`);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new RrError(`invalid ${what}: not a JSON object`);
  if (doc.schemaVersion === 1) throw schema1Error(what);
  const own = typeof doc.mediaType === "string" ? doc.mediaType : undefined;
  let mediaType: string;
  if (isManifestType(ct) || isIndexType(ct)) {
    if (own !== undefined && own !== ct) {
      throw new RrError(`invalid ${what}: its mediaType "${own}" contradicts the Content-Type "${ct}"`);
    }
    mediaType = ct;
  } else if (GENERIC.has(ct)) {
    // Before OCI 1.1 the field was optional; the document's shape then decides.
    mediaType = own ?? ("manifests" in doc ? MediaType.ociIndex : MediaType.ociManifest);
  } else {
    throw new RrError(`unsupported ${what} media type "${ct}"`, { hint: "rr pulls Docker schema 2 and OCI images and indexes." });
  }
  if (isIndexType(mediaType)) parseIndex(bytes, what, mediaType);
  else if (isManifestType(mediaType)) parseManifest(bytes, what, mediaType);
  else throw new RrError(`unsupported ${what} media type "${mediaType}"`, { hint: "rr pulls Docker schema 2 and OCI images and indexes." });
  return mediaType;
}
