/**
 * Forwards the catchable signals rr receives to the container. Installed
 * before the container starts, so a signal that arrives while it is being
 * set up is held and delivered once its pid is known, instead of killing rr.
 */
const FORWARDED: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"];

export class SignalForwarder {
  private pid?: number;
  private pending: NodeJS.Signals[] = [];
  private readonly handlers = FORWARDED.map((sig) => {
    const h = () => this.forward(sig);
    process.on(sig, h);
    return [sig, h] as const;
  });

  private forward(sig: NodeJS.Signals): void {
    if (this.pid === undefined) {
      this.pending.push(sig);
      return;
    }
    try { process.kill(this.pid, sig); } catch {}
  }

  /** The container is running: deliver what was held, forward from now on. */
  attach(pid: number): void {
    this.pid = pid;
    for (const sig of this.pending.splice(0)) this.forward(sig);
  }

  dispose(): void {
    for (const [sig, h] of this.handlers) process.off(sig, h);
  }
}
