/** `rr system df|prune|info`: Docker's system management commands, each loaded on demand. */
import { managementCommand } from "../management-command.ts";

export default managementCommand("system", "Manage rr", {
  df: { command: "df", summary: "Show rr disk usage", load: () => import("./system-df.ts") },
  info: { command: "info", summary: "Display system-wide information" },
  prune: { command: "prune", summary: "Remove unused data", load: () => import("./system-prune.ts") },
});
