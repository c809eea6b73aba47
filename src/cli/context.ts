/**
 * What every command may need, resolved lazily: the store paths from global
 * flags and environment, and output streams. Identity detection lives in
 * runtime/identity.ts and is loaded only by commands that touch the store.
 */
import { defaultStorePaths, type StorePaths } from "../store/paths.ts";
import { writeAllSync } from "./write-sync.ts";

export interface GlobalOptions {
  root?: string;
  runroot?: string;
}

export class CliContext {
  private paths?: StorePaths;
  constructor(readonly global: GlobalOptions, readonly env: Record<string, string | undefined> = process.env) {}

  storePaths(): StorePaths {
    if (!this.paths) {
      const p = defaultStorePaths(this.env, process.geteuid!());
      this.paths = { ...p, root: this.global.root ?? p.root, runroot: this.global.runroot ?? p.runroot };
    }
    return this.paths;
  }

  out(text: string): void {
    writeAllSync(1, text.endsWith("\n") ? text : text + "\n");
  }

  /** Warnings and notes: stderr, one line, prefixed like errors. */
  warn(text: string): void {
    process.stderr.write(`rr: warning: ${text}\n`);
  }
}
