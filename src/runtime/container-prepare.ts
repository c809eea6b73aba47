/**
 * What every start of a container does before its process exists: the
 * generated /etc files, the user, the runtime spec (config.json) and the
 * setup plan. Shared by the foreground run and the monitored start.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Identity } from "./identity.ts";
import type { RunRequest } from "./run-request.ts";
import { buildSpec, type ImageRuntimeConfig, type RuntimeSpec, type SpecContext } from "./spec.ts";
import { buildPlan, cloneFlagsFor, type RootfsLayout } from "./plan-builder.ts";
import type { Plan } from "./plan-encoder.ts";
import { writeEtcFiles, type EtcFiles } from "./etc-files.ts";
import { rememberHosts } from "../network/network-hosts.ts";
import { withNetworkLock } from "../network/network-store.ts";
import { parseNetworkMode } from "./network-mode.ts";
import { containerHostname, renderHosts } from "./container-hosts.ts";
import { SLIRP_DNS } from "../network/egress.ts";
import { readImageFile } from "./image-files.ts";
import { resolveUser } from "./user-lookup.ts";
import { checkUserMapped } from "./user-mapping.ts";
import { containerDir, findContainer, type ContainerRecord } from "../store/container-store.ts";
import { RrError, UsageError } from "../errors.ts";

export interface PreparedStart {
  spec: RuntimeSpec;
  plan: Plan;
  cloneFlags: number;
  layout: RootfsLayout;
  /** The mount point of the root (fuse-overlayfs mounts there). */
  rootfs: string;
}

export function storedRequest(rec: ContainerRecord): RunRequest {
  if (!rec.request) throw new RrError(`container ${rec.name} was made by an older rr and cannot be started`, { hint: "Remove it and run the image again." });
  return rec.request as unknown as RunRequest;
}

/**
 * /etc/hostname, /etc/hosts and resolv.conf. With --network container:X the
 * container shares X's hostname and X's very files, as in Docker, so X's
 * peers coming and going show in both.
 */
function etcFiles(root: string, rec: ContainerRecord, req: RunRequest): { hostname: string; files: EtcFiles } {
  const mode = parseNetworkMode(req.network ?? "host");
  const owner = mode.kind === "container" ? findContainer(root, mode.ref) : rec;
  const ownerReq = owner === rec ? req : storedRequest(owner);
  const hostname = containerHostname(owner, ownerReq);
  const dir = containerDir(root, rec.id);
  // on networks now or after a connect: peers rewrite its /etc/hosts (host, none and container: files never are)
  const peersRewrite = mode.kind === "network" || mode.kind === "private";
  const write = () => {
    const hosts = renderHosts(root, owner, ownerReq);
    const written = writeEtcFiles(dir, {
      hostname, hosts,
      resolver: { dns: ownerReq.dns, dnsSearch: ownerReq.dnsSearch, dnsOptions: ownerReq.dnsOptions, hostNetwork: (ownerReq.network ?? "host") === "host", fallback: SLIRP_DNS },
    });
    if (peersRewrite) rememberHosts(dir, hosts); // their rewrites keep what the container appends to it
    return written;
  };
  // under the networks lock, so a peer's rewrite comes wholly before or after
  const files = peersRewrite ? withNetworkLock(root, write) : write();
  if (owner === rec) return { hostname, files };
  const ownerDir = containerDir(root, owner.id);
  return { hostname, files: { ...files, hosts: join(ownerDir, "hosts"), resolvConf: join(ownerDir, "resolv.conf") } };
}

export function prepareStart(
  root: string, rec: ContainerRecord, identity: Identity,
  opts: { tty?: { rows: number; cols: number }; dieWithParent: boolean; network: SpecContext["network"] },
): PreparedStart {
  const req = storedRequest(rec);
  const image = (rec.imageConfig ?? {}) as ImageRuntimeConfig;
  const dir = containerDir(root, rec.id);
  const lowers = rec.lowers ?? [];
  const layout: RootfsLayout = { driver: (rec.driver ?? "overlay") as RootfsLayout["driver"], lowers, upper: join(dir, "upper"), work: join(dir, "work") };
  const rootfs = join(dir, "rootfs");
  const { hostname, files } = etcFiles(root, rec, req);
  const user = resolveUser(req.user ?? image.User, readImageFile(lowers, "etc/passwd") ?? "", readImageFile(lowers, "etc/group") ?? "");
  checkUserMapped(user, identity);
  const spec = buildSpec(req, image, { id: rec.id, identity, rootfs, user, hostname, files, cgroupsPath: `rr-${rec.id.slice(0, 12)}`, network: opts.network });
  if (!spec.process.args.length) {
    throw new UsageError("no command specified", { hint: "The image has no CMD or ENTRYPOINT: give a command after the image name." });
  }
  writeFileSync(join(dir, "config.json"), JSON.stringify(spec, null, 2));
  const plan = buildPlan(spec, {
    identity, rootfs: layout, tty: req.tty ? opts.tty ?? { rows: 24, cols: 80 } : undefined,
    stdinAttached: req.interactive, init: req.init, dieWithParent: opts.dieWithParent,
  });
  if (!req.tty) plan.flags.push("setsid");
  return { spec, plan, cloneFlags: cloneFlagsFor(spec), layout, rootfs };
}
