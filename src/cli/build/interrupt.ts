/**
 * SIGINT or SIGTERM during `rr build`: the step that is running is stopped
 * (a RUN's container killed), the build fails between steps with
 * "interrupted", and the usual clean-up runs — no image, no container, no
 * temporary files left. A second signal ends rr at once.
 */
import { RrError } from "../../errors.ts";

const SIGNALS = ["SIGINT", "SIGTERM"] as const;

export class BuildInterrupt {
  signal?: NodeJS.Signals;
  private readonly hooks = new Set<() => void>();

  private readonly handler = (sig: NodeJS.Signals) => {
    if (this.signal) {
      this.stop();
      process.kill(process.pid, sig); // the second one: the default action, now
      return;
    }
    this.signal = sig;
    for (const h of this.hooks) h();
  };

  /** Starts catching the signals; returns what stops it. */
  listen(): () => void {
    for (const s of SIGNALS) process.on(s, this.handler);
    return () => this.stop();
  }

  private stop(): void {
    for (const s of SIGNALS) process.off(s, this.handler);
  }

  /** Runs fn when a signal comes (at once if one came already); returns what unregisters it. */
  onInterrupt(fn: () => void): () => void {
    this.hooks.add(fn);
    if (this.signal) fn();
    return () => { this.hooks.delete(fn); };
  }

  /** Throws once a signal came. */
  check(): void {
    if (this.signal) throw new RrError(`the build was interrupted (${this.signal})`, { code: "INTERRUPTED" });
  }
}
