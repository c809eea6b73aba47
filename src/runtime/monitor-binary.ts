/**
 * The monitor executable (ffi/monitor.c) travels inside dist/rr; the kernel
 * can only exec a real file, so it is written once into the store, named by
 * its content, and reused by every later start.
 */
import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import monitorAsset from "../../ffi/rr-monitor" with { type: "file" };
import { writeFileAtomic } from "../store/atomic.ts";

export async function monitorExecutable(root: string): Promise<string> {
  const bytes = await Bun.file(monitorAsset).bytes();
  const path = join(root, "libexec", `rr-monitor-${Bun.hash(bytes).toString(16)}`);
  if (!existsSync(path)) {
    mkdirSync(join(root, "libexec"), { recursive: true, mode: 0o755 });
    writeFileAtomic(path, bytes, { mode: 0o755 });
    chmodSync(path, 0o755);
  }
  return path;
}
