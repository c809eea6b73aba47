/**
 * The config a committed image starts from: Docker commits the container's
 * own config, so the command, environment, working directory, user,
 * labels and stop signal the container was created with become the new
 * image's defaults (before any `-c` change).
 */
import type { ContainerConfig } from "../../image/image-config.ts";
import type { ContainerRecord } from "../../store/container-store.ts";
import type { RunRequest } from "../run-request.ts";

export function containerConfigOf(rec: ContainerRecord, image: ContainerConfig = {}): ContainerConfig {
  const c: ContainerConfig = structuredClone(image);
  const req = rec.request as Partial<RunRequest> | undefined;
  if (!req) return c;
  if (req.entrypoint !== undefined) {
    if (req.entrypoint.length) c.Entrypoint = req.entrypoint;
    else delete c.Entrypoint;
    delete c.Cmd; // --entrypoint drops the image's CMD (Docker)
  }
  if (req.command?.length) c.Cmd = req.command;
  for (const e of req.env ?? []) {
    const eq = e.indexOf("=");
    if (eq <= 0) continue;
    const key = e.slice(0, eq);
    c.Env = [...(c.Env ?? []).filter((x) => x.split("=")[0] !== key), e];
  }
  if (req.workdir) c.WorkingDir = req.workdir;
  if (req.user) c.User = req.user;
  if (req.labels && Object.keys(req.labels).length) c.Labels = { ...c.Labels, ...req.labels };
  if (req.stopSignal) c.StopSignal = req.stopSignal;
  return c;
}
