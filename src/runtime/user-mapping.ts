/** Whether a container user can exist in this identity's user namespace. */
import type { Identity } from "./identity.ts";
import { RrError } from "../errors.ts";

/** An id outside the user namespace's map cannot be switched to: say so before starting. */
export function checkUserMapped(user: { uid: number; gid: number }, identity: Identity): void {
  if (identity.mode === "root") return;
  const mapped = (id: number, maps: Identity["uidMap"]) => maps.some((m) => id >= m.containerId && id < m.containerId + m.size);
  if (!mapped(user.uid, identity.uidMap) || !mapped(user.gid, identity.gidMap)) {
    throw new RrError(`user ${user.uid}:${user.gid} is not mapped in this ${identity.mode} user namespace`, {
      hint: identity.mode === "rootless-single"
        ? "Only id 0 is mapped: add ranges for your user to /etc/subuid and /etc/subgid (and install uidmap), or run as -u 0."
        : "Widen your ranges in /etc/subuid and /etc/subgid.",
    });
  }
}
