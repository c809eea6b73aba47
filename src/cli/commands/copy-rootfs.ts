/**
 * Hidden: `rr __copy-rootfs DEST LAYER…` builds a copied root filesystem
 * (the last-resort storage driver) inside rr's user namespace.
 */
import type { Command } from "../command.ts";
import { copyLayers } from "../../runtime/rootfs-copy.ts";
import { UsageError } from "../../errors.ts";

const command: Command = {
  summary: "(internal) copy image layers into a root filesystem",
  usage: "Usage:  rr __copy-rootfs DEST LAYER...",
  async run(argv) {
    const [dest, ...layers] = argv;
    if (!dest || !layers.length) throw new UsageError("__copy-rootfs needs a destination and layers");
    copyLayers(layers, dest);
    return 0;
  },
};
export default command;
