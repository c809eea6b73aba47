/**
 * `rr network SUBCOMMAND`: user-defined networks (docs/networks-design.md).
 * Each subcommand is its own module, loaded on demand.
 */
import { managementCommand, type Subcommand } from "../management-command.ts";

const SUBCOMMANDS: Record<string, Subcommand> = {
  connect: { command: "network", summary: "Connect a container to a network", load: () => import("./network-connect.ts") },
  create: { command: "network", summary: "Create a network", load: () => import("./network-create.ts") },
  disconnect: { command: "network", summary: "Disconnect a container from a network", load: () => import("./network-disconnect.ts") },
  inspect: { command: "network", summary: "Display detailed information on one or more networks", load: () => import("./network-inspect.ts") },
  ls: { command: "network", summary: "List networks", load: () => import("./network-ls.ts") },
  list: { command: "network", summary: "List networks", load: () => import("./network-ls.ts"), alias: true },
  prune: { command: "network", summary: "Remove all unused networks", load: () => import("./network-prune.ts") },
  rm: { command: "network", summary: "Remove one or more networks", load: () => import("./network-rm.ts") },
  remove: { command: "network", summary: "Remove one or more networks", load: () => import("./network-rm.ts"), alias: true },
};

export default managementCommand("network", "Manage networks", SUBCOMMANDS);
