/** A container's ports as `ps`, `port` and `inspect` show them. */
import type { ContainerRecord, PublishedPortRecord } from "../store/container-store.ts";
import { exposedPorts } from "../network/ports.ts";

/** Ports are bound, and shown, only while the container runs. */
const portsBound = (rec: ContainerRecord) => rec.state.status === "running" || rec.state.status === "paused";

export function livePorts(rec: ContainerRecord): PublishedPortRecord[] {
  return portsBound(rec) ? rec.ports ?? [] : [];
}

/** The image's EXPOSE and --expose, as "80/tcp" keys. */
export function exposedKeys(rec: ContainerRecord): string[] {
  const image = (rec.imageConfig ?? {}) as { ExposedPorts?: Record<string, unknown> };
  const expose = ((rec.request ?? {}) as { expose?: string[] }).expose ?? [];
  return exposedPorts(image.ExposedPorts, expose).map((p) => `${p.containerPort}/${p.proto}`);
}

/** Exposed ports nobody published, while the container runs (Docker's ps lists them as "80/tcp"). */
export function unpublishedExposed(rec: ContainerRecord): { port: number; proto: "tcp" | "udp" }[] {
  if (!portsBound(rec)) return [];
  const published = new Set(livePorts(rec).map((p) => `${p.containerPort}/${p.proto}`));
  return exposedKeys(rec).filter((k) => !published.has(k)).map((k) => {
    const [port, proto] = k.split("/");
    return { port: Number(port), proto: proto as "tcp" | "udp" };
  });
}
