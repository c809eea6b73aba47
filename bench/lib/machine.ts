/** Where a benchmark ran, for its header: the machine and the tools' versions. */

/** "N cores, kernel X". */
export function machineLine(): string {
  return `${navigator.hardwareConcurrency} cores, kernel ${Bun.spawnSync(["uname", "-r"]).stdout.toString().trim()}`;
}

/** The first line of `TOOL --version` (or whatever `argv` prints). */
export function toolVersion(argv: string[]): string {
  return Bun.spawnSync(argv, { stdin: "ignore", stdout: "pipe", stderr: "pipe" }).stdout.toString().split("\n")[0]!.trim();
}
