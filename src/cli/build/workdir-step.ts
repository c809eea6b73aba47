/**
 * WORKDIR makes its directory when the image lacks it, as BuildKit and
 * buildah do (a small layer with the directory and its missing parents,
 * 0755, owned by the USER in effect); the path is resolved inside the
 * image, so a WORKDIR through a symlink makes the directory where the link leads.
 */
import type { Identity } from "../../runtime/identity.ts";
import type { TarSpec } from "../../image/tar-writer.ts";
import { RrError } from "../../errors.ts";
import { readImageText, resolveImageDest } from "./image-dest.ts";
import { resolveUser } from "../../runtime/user-lookup.ts";
import { placeTrees } from "./source-tree.ts";

/** The layer entries that make `path`, or undefined when the image has that directory already. */
export function workdirEntries(layers: string[], path: string, identity: Identity, user?: string): TarSpec[] | undefined {
  const image = resolveImageDest(layers, path, identity);
  if (image.type === "dir") return undefined;
  if (image.type !== undefined) throw new RrError(`cannot make the working directory ${path}: ${image.path} is a file in the image`);
  const owner = user ? resolveUser(user, readImageText(layers, "/etc/passwd") ?? "", readImageText(layers, "/etc/group") ?? "") : { uid: 0, gid: 0 };
  const tree = { name: "", items: [{ rel: "", type: "dir" as const, mode: 0o755, uid: owner.uid, gid: owner.gid, mtime: 0 }] };
  return placeTrees([tree], { dest: image.path, destIsDir: false, imageDirs: image.dirs, createdOwner: { uid: owner.uid, gid: owner.gid } }).entries;
}
