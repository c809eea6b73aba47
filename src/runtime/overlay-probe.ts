/**
 * Can this user mount the kernel's overlayfs with userxattr (in rr's user
 * namespace when rootless)? Answered by trying, in a throwaway directory.
 */
import { chmodSync, mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import type { Identity } from "./identity.ts";
import { runInUserNamespace } from "./in-userns.ts";

export async function probeOverlay(identity: Identity): Promise<{ ok: boolean; detail: string }> {
  const dir = mkdtempSync(join(tmpdir(), "rr-overlay-probe-"));
  try {
    for (const d of ["lower", "upper", "work", "merged"]) mkdirSync(join(dir, d));
    const data = `lowerdir=${dir}/lower,upperdir=${dir}/upper,workdir=${dir}/work,userxattr`;
    const script = `mount -t overlay overlay -o ${data} ${dir}/merged && touch ${dir}/merged/x && umount ${dir}/merged`;
    const argv = ["/bin/sh", "-c", script];
    const code = identity.mode === "root"
      ? Bun.spawnSync(["unshare", "-m", ...argv], { stderr: "pipe" }).exitCode
      : await runInUserNamespace(identity, argv);
    return code === 0 ? { ok: true, detail: "overlay (userxattr)" } : { ok: false, detail: "kernel overlay refused" };
  } finally {
    // overlayfs leaves work/work mode 000; it is ours, so we may open it up
    try { chmodSync(join(dir, "work", "work"), 0o700); } catch {}
    rmSync(dir, { recursive: true, force: true });
  }
}
