/**
 * Who `rr exec` runs as: the container's user from config.json, or `-u`
 * resolved against the running container's own /etc/passwd and /etc/group
 * (read beneath its root, so a symlink there never reaches a host file).
 */
import { closeSync, fstatSync, readSync } from "node:fs";
import { openBeneath } from "../sys/core.ts";
import type { Identity } from "./identity.ts";
import type { RuntimeSpec } from "./spec.ts";
import { resolveUser } from "./user-lookup.ts";
import { checkUserMapped } from "./user-mapping.ts";
import type { ExecUser } from "./exec-plan.ts";
import { RrError } from "../errors.ts";

const MAX_FILE = 4 << 20;

/** A regular file of the container as it sees it, or undefined. */
export function readContainerFile(root: string, path: string): string | undefined {
  const fd = openBeneath(root, path);
  if (fd < 0) return undefined;
  try {
    if (!fstatSync(fd).isFile()) return undefined; // a FIFO or a device is no passwd file
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.alloc(65536);
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      chunks.push(buf.subarray(0, n));
      total += n;
      if (total > MAX_FILE) throw new RrError(`/${path} in the container is larger than ${MAX_FILE >> 20} MiB`);
    }
    return Buffer.concat(chunks).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

/** `root`: the container's root as rr sees it, /proc/<pid>/root. */
export function execUser(spec: RuntimeSpec, userArg: string | undefined, root: string, identity: Identity): ExecUser {
  if (userArg === undefined || userArg === "") {
    const u = spec.process.user;
    return { uid: u.uid, gid: u.gid, additionalGids: u.additionalGids ?? [] };
  }
  const user = resolveUser(userArg, readContainerFile(root, "etc/passwd") ?? "", readContainerFile(root, "etc/group") ?? "");
  checkUserMapped(user, identity);
  return user;
}

