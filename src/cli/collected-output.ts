/**
 * Output for listings that may be long. process.stdout.write to a pipe is
 * asynchronous in Bun, and rr ends with process.exit(): whatever the pipe
 * had not taken yet (past its 64 KiB, or more when the reader is slow) was
 * lost, so `rr ps -a | less` showed part of the list. Collected here, the
 * output goes out in blocking writes before the command returns.
 */
import { writeSync } from "node:fs";
import { CliContext } from "./context.ts";

export class CollectedOutput extends CliContext {
  private chunks: string[] = [];

  constructor(ctx: CliContext) {
    super(ctx.global, ctx.env);
  }

  override out(text: string): void {
    this.chunks.push(text.endsWith("\n") ? text : text + "\n");
  }

  /** Writes everything collected to stdout and waits until the kernel has it. */
  flush(): void {
    writeAllSync(1, Buffer.from(this.chunks.join("")));
    this.chunks = [];
  }
}

function writeAllSync(fd: number, bytes: Buffer): void {
  let off = 0;
  while (off < bytes.length) {
    try {
      off += writeSync(fd, bytes, off, bytes.length - off);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EPIPE") return; // the reader is gone (`| head`): nobody wants the rest
      // a non-blocking stdout (set so by whoever shares it): wait for room
      if (code !== "EAGAIN") throw err;
      Bun.sleepSync(1);
    }
  }
}
