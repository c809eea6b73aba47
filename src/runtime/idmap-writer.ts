/**
 * Writes a child's uid/gid maps while it waits on its sync pipe: through
 * newuidmap/newgidmap for a subordinate range, or directly for the
 * single-id mapping (after denying setgroups, CVE-2014-8989).
 */
import { writeFileSync } from "node:fs";
import type { Identity, IdMap } from "./identity.ts";
import { RrError } from "../errors.ts";
import { runMapHelpers } from "../sys/core.ts";

function mapArgs(maps: IdMap[]): string[] {
  return maps.flatMap((m) => [String(m.containerId), String(m.hostId), String(m.size)]);
}

export function writeIdMaps(identity: Identity, pid: number): void {
  if (identity.mode === "root") return;
  if (identity.mode === "rootless" && identity.newuidmap && identity.newgidmap) {
    const failed = runMapHelpers(
      identity.newuidmap, [String(pid), ...mapArgs(identity.uidMap)],
      identity.newgidmap, [String(pid), ...mapArgs(identity.gidMap)],
    );
    if (failed) {
      const last = failed.message.split("\n").pop() || `exit status ${failed.code}`;
      throw new RrError(`id mapping failed (newuidmap/newgidmap): ${last}`, {
        hint: "Check the ranges in /etc/subuid and /etc/subgid, or set RR_USERNS=single to map only your own id.",
      });
    }
    return;
  }
  const line = (maps: IdMap[]) => maps.map((m) => `${m.containerId} ${m.hostId} ${m.size}`).join("\n") + "\n";
  try {
    writeFileSync(`/proc/${pid}/setgroups`, "deny");
    writeFileSync(`/proc/${pid}/uid_map`, line(identity.uidMap));
    writeFileSync(`/proc/${pid}/gid_map`, line(identity.gidMap));
  } catch (err) {
    throw new RrError("cannot write the user namespace id map", { cause: err });
  }
}
