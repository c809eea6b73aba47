/**
 * Reads a file of an image straight from its unpacked layers (top first),
 * honouring overlay whiteouts, without mounting anything: used to resolve
 * `-u name` against the image's /etc/passwd before the container exists.
 */
import { lstatSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { lgetxattr } from "../sys/libc.ts";

function isWhiteout(path: string): boolean {
  try {
    const st = lstatSync(path);
    return st.isCharacterDevice() && st.rdev === 0;
  } catch {
    return false;
  }
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function isOpaque(dir: string): boolean {
  try {
    const v = lgetxattr(dir, "user.overlay.opaque");
    return v !== undefined && v[0] === 0x79; // "y"
  } catch {
    return false;
  }
}

/** `layers` lists layer roots from the top (upper) down. */
export function readImageFile(layers: string[], relPath: string): string | undefined {
  const parts = relPath.split("/").filter(Boolean);
  for (const layer of layers) {
    // a symlinked directory on the way would be followed on the host: the file is not read then
    if (parts.slice(0, -1).some((_, i) => isSymlink(join(layer, ...parts.slice(0, i + 1))))) return undefined;
    const full = join(layer, ...parts);
    if (isWhiteout(full)) return undefined;
    try {
      const st = lstatSync(full);
      if (st.isFile()) return readFileSync(full, "utf8");
      return undefined;
    } catch {
      // not in this layer; an opaque or whited-out parent hides the layers below
    }
    for (let i = 1; i < parts.length; i++) {
      const dir = join(layer, ...parts.slice(0, i));
      if (isWhiteout(dir) || isOpaque(dir)) return undefined;
    }
  }
  return undefined;
}
