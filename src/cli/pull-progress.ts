/**
 * `docker pull`'s output. On a terminal: one line per layer, rewritten in
 * place (`Downloading [==>   ] 1.2MB/4.5MB`, `Extracting`, `Pull complete`).
 * Otherwise: a plain line per state change, without byte counts, so logs
 * stay readable. `-q` prints nothing here (the caller prints the reference).
 */
import type { LayerStatus } from "../image/pull.ts";
import { humanSize } from "./format.ts";

export type ProgressStatus = LayerStatus | "Extracting" | "Pull complete";

export interface Writer {
  write(text: string): unknown;
  isTTY?: boolean;
}

export class PullProgress {
  private readonly lines: string[] = [];
  private readonly texts = new Map<string, string>();
  private lastPaint = 0;

  constructor(private readonly out: Writer, private readonly mode: "tty" | "plain" | "quiet") {}

  static for(out: Writer, quiet: boolean): PullProgress {
    return new PullProgress(out, quiet ? "quiet" : out.isTTY ? "tty" : "plain");
  }

  line(text: string): void {
    if (this.mode !== "quiet") this.out.write(text + "\n");
  }

  layer(id: string, status: ProgressStatus, current?: number, total?: number): void {
    if (this.mode === "quiet") return;
    if (this.mode === "plain") {
      if (status !== "Downloading" && status !== "Waiting") this.out.write(`${id}: ${status}\n`);
      return;
    }
    const text = `${id}: ${status}${status === "Downloading" && total ? ` ${bar(current ?? 0, total)} ${humanSize(current ?? 0)}/${humanSize(total)}` : ""}`;
    if (!this.texts.has(id)) {
      this.lines.push(id);
      this.texts.set(id, text);
      this.out.write(text + "\n");
      return;
    }
    this.texts.set(id, text);
    // Repainting every chunk would flood the terminal; ten times a second is live enough.
    const now = Date.now();
    if (status === "Downloading" && now - this.lastPaint < 100) return;
    this.lastPaint = now;
    const up = this.lines.length - this.lines.indexOf(id);
    this.out.write(`\x1b[${up}A\r\x1b[2K${text}\x1b[${up}B\r`);
  }
}

function bar(current: number, total: number): string {
  const width = 40;
  const done = Math.min(width, Math.floor((current / total) * width));
  return `[${"=".repeat(Math.max(0, done - 1))}${done > 0 ? ">" : ""}${" ".repeat(width - done)}]`;
}
