/**
 * What the runtime needs from the CLI to create and start containers: the
 * store, the identity, and the two jobs that may have to re-enter the user
 * namespace (removing a container, copying a root filesystem).
 */
import type { CliContext } from "./context.ts";
import type { Identity } from "../runtime/identity.ts";
import type { RunEnvironment } from "../runtime/container-create.ts";
import { removeContainerFiles } from "./remove-container.ts";
import { copyLayers } from "../runtime/rootfs-copy.ts";
import { runSelfInUserNamespace } from "../runtime/in-userns.ts";

export function runEnvironment(ctx: CliContext, root: string, identity: Identity): RunEnvironment {
  return {
    root,
    identity,
    warn: (m) => ctx.warn(m),
    removeContainer: (id) => removeContainerFiles(ctx, identity, id),
    copyRootfs: async (dest, layers) => {
      if (identity.mode === "root") return copyLayers(layers, dest);
      await runSelfInUserNamespace(identity, ["__copy-rootfs", dest, ...layers]);
    },
  };
}
