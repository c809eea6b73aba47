/**
 * How rr runs itself again: the compiled binary is process.execPath alone;
 * under `bun src/cli/main.ts` it is bun plus the script.
 */
export function selfCommand(): string[] {
  const main = Bun.main;
  const compiled = main.startsWith("/$bunfs/") || main.startsWith("B:/~BUN/");
  return compiled ? [process.execPath] : [process.execPath, main];
}
