/** A container's published ports as `ps`, `port` and `inspect` show them: only while it runs (they are bound then). */
import type { ContainerRecord, PublishedPortRecord } from "../store/container-store.ts";

export function livePorts(rec: ContainerRecord): PublishedPortRecord[] {
  const s = rec.state.status;
  return s === "running" || s === "paused" ? rec.ports ?? [] : [];
}
