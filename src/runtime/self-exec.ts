/**
 * How rr runs itself again: the compiled binary is process.execPath alone;
 * from source it is bun plus the CLI entry (whatever script loaded us).
 */
import { fileURLToPath } from "node:url";

export function selfCommand(): string[] {
  const main = Bun.main;
  const compiled = main.startsWith("/$bunfs/") || main.startsWith("B:/~BUN/");
  if (compiled) return [process.execPath];
  return [process.execPath, fileURLToPath(new URL("../cli/main.ts", import.meta.url))];
}
