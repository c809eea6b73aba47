/**
 * Unpacking layers while a pull is still downloading: `add()` hands over a
 * layer as soon as its blob is verified, `settled()` waits for all of them,
 * `commit()` makes them visible in `layers/` at once, `close()` discards
 * whatever was not committed. As root the work happens in this process;
 * rootless it happens in one `__unpack-layers` helper per session inside the
 * user namespace (DESIGN invariant 6), started on the first layer.
 */
import { randomBytes } from "node:crypto";
import { createServer, type Server, type Socket } from "node:net";
import { RrError } from "../errors.ts";
import type { Identity } from "../runtime/identity.ts";
import { LayerBatch, type LayerJob } from "../store/layer-batch.ts";
import type { CliContext } from "./context.ts";
import { readLines, send, UNPACK_TOKEN_ENV, type Reply, type Request } from "./unpack-protocol.ts";

export const SINGLE_ID_WARNING =
  "image has files owned by ids other than 0; this rootless-single store maps only your uid, so they belong to root in the container";

type Skipped = { skippedOwnership?: number; skippedDevices?: number } | undefined;

/** Where the extraction runs: this process, or the helper. */
interface Backend {
  extract(job: LayerJob): Promise<Skipped>;
  commit(): Promise<void>;
  close(): Promise<void>;
}

export class UnpackSession {
  private readonly jobs: Promise<void>[] = [];
  private firstFailure: unknown;
  private skippedOwnership = 0;
  private skippedDevices = 0;
  private closed = false;

  private constructor(private readonly ctx: CliContext, private readonly identity: Identity, private readonly backend: Backend) {}

  static open(ctx: CliContext, identity: Identity): UnpackSession {
    const root = ctx.storePaths().root;
    const warn = (m: string) => ctx.warn(m);
    const backend = identity.mode === "root" ? inProcess(root, warn) : new HelperBackend(identity, root, warn);
    return new UnpackSession(ctx, identity, backend);
  }

  /** Starts extracting a layer whose blob is verified at `job.blobPath`; `onDone` once it is (not yet visible). */
  add(job: LayerJob, onDone?: () => void): void {
    if (this.closed) {
      if (this.firstFailure === undefined) throw new RrError("unpack session already closed");
      return; // the pull already failed; it is only winding down
    }
    this.jobs.push(this.backend.extract(job).then(
      (skipped) => {
        this.skippedOwnership += skipped?.skippedOwnership ?? 0;
        this.skippedDevices += skipped?.skippedDevices ?? 0;
        onDone?.();
      },
      (err) => {
        if (this.firstFailure !== undefined) return; // later ones are mostly "aborted" echoes of it
        this.firstFailure = err;
        // The pull is lost: stop the other extractions now rather than when it ends.
        void this.close();
      },
    ));
  }

  /** The first failure so far, for a pull to stop downloading. */
  failure(): unknown {
    return this.firstFailure;
  }

  /** Waits for every layer added; rejects with the first failure. */
  async settled(): Promise<void> {
    for (let n = 0; n < this.jobs.length; n = this.jobs.length) await Promise.all(this.jobs.slice(n));
    if (this.firstFailure !== undefined) throw this.firstFailure;
  }

  /** Makes every extracted layer visible, then says once what could not be kept. */
  async commit(): Promise<void> {
    await this.settled();
    if (!this.jobs.length) return;
    await this.backend.commit();
    if (this.skippedOwnership) {
      this.ctx.warn(this.identity.mode === "rootless-single"
        ? SINGLE_ID_WARNING
        : "image has files owned by ids this store does not map; they belong to root in the container");
    }
    if (this.skippedDevices) this.ctx.warn(`image has ${this.skippedDevices} device node(s) that cannot be created here; they were left out`);
    this.jobs.length = 0;
    this.skippedOwnership = this.skippedDevices = 0;
  }

  /** Discards what was not committed and stops the helper. Safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    await this.backend.close();
  }
}

function inProcess(root: string, warn: (m: string) => void): Backend {
  const batch = new LayerBatch(root, { ownerPid: process.pid, onWarning: warn });
  return {
    extract: (job) => batch.extract(job),
    commit: async () => batch.commit(),
    close: () => batch.discard(),
  };
}

/** Talks to the `__unpack-layers --serve` helper (src/cli/commands/unpack-layers.ts). */
class HelperBackend implements Backend {
  private connection?: Promise<Socket>;
  private server?: Server;
  private exited?: Promise<number>;
  private readonly waiting = new Map<number, { resolve(r: Skipped): void; reject(e: unknown): void }>();
  private nextId = 1;
  private lost?: RrError;

  constructor(private readonly identity: Identity, private readonly root: string, private readonly warn: (m: string) => void) {}

  extract(job: LayerJob): Promise<Skipped> {
    const { growing, ...rest } = job;
    // A blob still downloading: the helper follows its file and learns the verdict here.
    return this.request({ op: "extract", id: 0, ...rest, growing: growing !== undefined }, (socket, id) => {
      growing?.onSettled((size, err) => { if (socket.writable) send(socket, { op: "blob", id, size, failed: err !== undefined }); });
    });
  }

  async commit(): Promise<void> {
    if (this.connection) await this.request({ op: "commit", id: 0 });
  }

  async close(): Promise<void> {
    this.lost ??= new RrError("unpacking aborted", { code: "ABORTED" });
    this.server?.close();
    if (!this.connection) return;
    // Ending the connection tells the helper to discard what it holds; wait until it has.
    const socket = await this.connection.catch(() => undefined);
    socket?.end();
    await this.exited;
  }

  private async request(req: Request, sent?: (socket: Socket, id: number) => void): Promise<Skipped> {
    if (this.lost) throw this.lost;
    const socket = await (this.connection ??= this.start());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      send(socket, { ...req, id });
      sent?.(socket, id);
    });
  }

  private onReply(m: Reply): void {
    if (m.op === "warn") return this.warn(m.message);
    if (m.op !== "done" && m.op !== "failed") return;
    const w = this.waiting.get(m.id);
    this.waiting.delete(m.id);
    if (m.op === "done") w?.resolve(m);
    else w?.reject(new RrError(m.message, { code: m.code, hint: m.hint }));
  }

  /** The helper is gone: everything still waiting fails with why. */
  private fail(err: RrError): void {
    this.lost ??= err;
    for (const w of this.waiting.values()) w.reject(this.lost);
    this.waiting.clear();
  }

  private async start(): Promise<Socket> {
    const [{ runInUserNamespace }, { selfCommand }] = await Promise.all([
      import("../runtime/in-userns.ts"), import("../runtime/self-exec.ts"),
    ]);
    // Abstract (a leading NUL, added where it is used: argv cannot carry one): no socket file to clean up after a kill.
    const name = `rr-unpack-${process.pid}-${randomBytes(6).toString("hex")}`;
    const token = randomBytes(16).toString("hex");
    return new Promise((resolve, reject) => {
      let peer: Socket | undefined;
      const server = createServer((s) => {
        s.on("error", () => {});
        let trusted = false;
        readLines<Reply>(s, (m) => {
          if (trusted) return this.onReply(m);
          if (peer || m.op !== "hello" || m.token !== token) return void s.destroy();
          trusted = true;
          peer = s;
          server.close(); // nobody else may connect
          resolve(s);
        });
        s.on("close", () => { if (trusted) this.fail(new RrError("the layer unpacking helper closed the connection")); });
      });
      this.server = server;
      server.on("error", reject);
      server.listen(`\0${name}`, () => {
        // Never rejects: close() waits on it, and a helper that could not start has no files to discard.
        this.exited = runInUserNamespace(this.identity, [
          ...selfCommand(), "__unpack-layers", "--root", this.root, "--owner-pid", String(process.pid), "--serve", name,
        ], { [UNPACK_TOKEN_ENV]: token }).catch((err) => {
          if (!peer) reject(err);
          return -1;
        });
        void this.exited.then((code) => {
          const err = new RrError(`the layer unpacking helper exited with status ${code}`);
          this.fail(err);
          server.close();
          if (!peer) reject(err);
        });
      });
    });
  }
}
