/**
 * Writes an OCI image layout as a tar (skopeo's `oci-archive:`, Docker 25+
 * and `rr load` read it): `oci-layout`, `index.json`, and every blob as it
 * is stored, so manifest digests stay what the registry or archive gave us.
 *
 * Each name gets its own index entry. `org.opencontainers.image.ref.name`
 * holds the full reference (as podman and rr's own store write it) rather
 * than Docker's bare tag: with several images in one archive a bare
 * `latest` would be ambiguous for `skopeo … oci-archive:FILE:NAME`.
 * `io.containerd.image.name` holds the same full name for Docker.
 */
import { ANNOTATION_CONTAINERD_NAME, ANNOTATION_REF_NAME, MediaType, parseManifest, type Descriptor, type ImageIndex } from "./image-config.ts";
import type { BlobStore } from "../store/blob-store.ts";
import { mtimeOf, type SaveItem } from "./save-docker-archive.ts";
import { TarWriter } from "./tar-writer.ts";

export async function writeOciArchive(items: SaveItem[], blobs: BlobStore, sink: (chunk: Uint8Array) => void): Promise<void> {
  const tar = new TarWriter(sink);
  const index: ImageIndex = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] };
  const wanted: { digest: string; size: number; mtime: number }[] = [];
  const seen = new Set<string>();
  const want = (digest: string, size: number, mtime: number) => {
    if (seen.has(digest)) return;
    seen.add(digest);
    wanted.push({ digest, size, mtime });
  };
  for (const { image, names } of items) {
    const bytes = blobs.readBytes(image.manifestDigest);
    const manifest = parseManifest(bytes, `manifest ${image.manifestDigest}`);
    const desc: Descriptor = { mediaType: manifest.mediaType ?? MediaType.ociManifest, digest: image.manifestDigest, size: bytes.length };
    if (!names.length) index.manifests.push(desc);
    for (const name of names) {
      index.manifests.push({ ...desc, annotations: { [ANNOTATION_CONTAINERD_NAME]: name, [ANNOTATION_REF_NAME]: name } });
    }
    const mtime = mtimeOf(image.created);
    want(image.manifestDigest, bytes.length, mtime);
    want(manifest.config.digest, manifest.config.size, mtime);
    for (const l of manifest.layers) want(l.digest, l.size, mtime);
  }
  tar.addFile("oci-layout", JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  tar.addFile("index.json", JSON.stringify(index));
  tar.addDir("blobs/");
  tar.addDir("blobs/sha256/");
  for (const b of wanted) {
    const hex = b.digest.slice("sha256:".length);
    // read() checks digest and size at EOF: a damaged store fails the save.
    await tar.addFileStream(`blobs/sha256/${hex}`, b.size, blobs.read(b.digest, b.size), { mtime: b.mtime });
  }
  tar.finish();
}
