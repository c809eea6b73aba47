/** Output for listings that may be long: collected, then written in one blocking write. */
import { CliContext } from "./context.ts";
import { writeAllSync } from "./write-sync.ts";

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
