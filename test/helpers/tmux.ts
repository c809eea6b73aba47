/**
 * A real terminal for tests: a detached tmux session on a private socket,
 * driven with send-keys and read with capture-pane.
 */
import type { Mode, Sandbox } from "./rr.ts";

/** One shell line that runs `rr ARGS` as the mode's user, environment included. */
export function rrShellLine(sb: Sandbox, mode: Mode, args: string[]): string {
  const { argv, env } = sb.command(mode, args);
  const full = ["env", ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv];
  return full.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
}

export class TmuxSession {
  constructor(private readonly socket: string, width: number, height: number, command: string) {
    this.tmux("new-session", "-d", "-s", "t", "-x", String(width), "-y", String(height), command);
  }

  tmux(...args: string[]): string {
    return Bun.spawnSync(["tmux", "-S", this.socket, ...args]).stdout.toString();
  }

  keys(text: string): void {
    this.tmux("send-keys", "-t", "t", text, "Enter");
  }

  resize(width: number, height: number): void {
    this.tmux("resize-window", "-t", "t", "-x", String(width), "-y", String(height));
  }

  screen(): string {
    return this.tmux("capture-pane", "-p", "-t", "t");
  }

  /** The screen once it matches, polled every 50 ms; throws with the last screen otherwise. */
  async waitFor(pattern: RegExp, tries = 100): Promise<string> {
    let screen = "";
    for (let i = 0; i < tries; i++) {
      screen = this.screen();
      if (pattern.test(screen)) return screen;
      await Bun.sleep(50);
    }
    throw new Error(`screen never matched ${pattern}:\n${screen}`);
  }

  kill(): void {
    this.tmux("kill-server");
  }
}
