/**
 * `rr image SUBCOMMAND`: Docker's management-command spellings of the image
 * commands (`image ls` is `images`, `image rm` is `rmi`, …). Each
 * subcommand is the top-level command's own module, loaded on demand.
 */
import { managementCommand, type Subcommand } from "../management-command.ts";

/** Subcommand → loader, with the arguments it implies (`inspect` is `inspect --type image`). */
const SUBCOMMANDS: Record<string, Subcommand> = {
  ls: { command: "images", summary: "List images" },
  list: { command: "images", summary: "List images", alias: true },
  rm: { command: "rmi", summary: "Remove one or more images" },
  remove: { command: "rmi", summary: "Remove one or more images", alias: true },
  inspect: { command: "inspect", summary: "Display detailed information on one or more images", prefix: ["--type", "image"] },
  history: { command: "history", summary: "Show the history of an image" },
  prune: { command: "prune", summary: "Remove unused images", load: () => import("./image-prune.ts") },
  load: { command: "load", summary: "Load an image from a tar archive or STDIN" },
  save: { command: "save", summary: "Save one or more images to a tar archive" },
  import: { command: "import", summary: "Import the contents of a tarball to create a filesystem image" },
  tag: { command: "tag", summary: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE" },
  pull: { command: "pull", summary: "Download an image from a registry" },
  push: { command: "push", summary: "Upload an image to a registry" },
};

export default managementCommand("image", "Manage images", SUBCOMMANDS);
