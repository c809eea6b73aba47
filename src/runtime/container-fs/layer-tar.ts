/**
 * `rr commit`'s new layer: every added or changed path of the change list
 * with its current content, deletions as `.wh.NAME` files and directories
 * that hide the image's version as `DIR/.wh..wh..opq` (the OCI layer
 * format). Paths that vanished since the list was made (a running
 * container) are left out.
 */
import { RrError } from "../../errors.ts";
import type { Change } from "./changes.ts";
import type { LayeredDir } from "./layered-dir.ts";
import { PathWalker } from "./path-walker.ts";
import type { TreeTar } from "./tree-tar.ts";

export async function writeLayer(view: LayeredDir, changes: Change[], tar: TreeTar): Promise<void> {
  const marker = changes.find((c) => c.kind !== "D" && c.path.slice(c.path.lastIndexOf("/") + 1).startsWith(".wh."));
  if (marker) {
    // In a layer that name would delete a file of the image instead of adding itself.
    throw new RrError(`cannot commit ${marker.path}: in an image layer a name starting with ".wh." marks a deleted file`, {
      hint: "Rename or remove it in the container, then commit again.",
    });
  }
  const walker = new PathWalker(view);
  try {
    for (const c of changes) {
      const name = c.path.slice(1);
      if (c.kind === "D") {
        if (!c.underOpaque) await tar.addWhiteout(name);
        continue;
      }
      const found = walker.lookup(c.path);
      if (!found) continue;
      if (!(await tar.addEntry(found.entry, name))) continue;
      if (c.opaque && found.entry.stat.isDirectory()) await tar.addOpaqueMarker(name, found.entry.stat);
    }
    await tar.finish();
  } finally {
    walker.close();
  }
}
