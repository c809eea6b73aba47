/**
 * Builds dist/rr: compiles the C core with the system compiler, then Bun
 * compiles the CLI into one executable with librr.so embedded.
 */
import { $ } from "bun";
import { mkdirSync } from "node:fs";

await $`make -s -C ffi`;
mkdirSync("dist", { recursive: true });
const result = await Bun.build({
  entrypoints: ["src/cli/main.ts"],
  compile: {
    // RR_OUT: another output, so parallel work on one tree never swaps a binary under a running test
    outfile: process.env.RR_OUT ?? "dist/rr",
    // rr runs in untrusted directories, often as root: a ./bunfig.toml
    // preload or a ./.env there must never reach into the binary.
    autoloadBunfig: false,
    autoloadDotenv: false,
    autoloadTsconfig: false,
    autoloadPackageJson: false,
  },
  minify: true,
  bytecode: true,
  sourcemap: "none",
  target: "bun",
});
if (!result.success) {
  for (const log of result.logs) console.error(log);
  process.exit(1);
}
console.log(`built ${process.env.RR_OUT ?? "dist/rr"}`);
