/**
 * How rr talks to the side that reads and writes a container's files (in
 * this process as root; rootless in a helper inside the user namespace,
 * over a Unix socket): frames of `type (1 byte) · length (4 bytes BE) ·
 * payload`. `J` carries a JSON message, `D` a piece of a tar stream, `E`
 * ends the stream. Framing lets an error arrive after data began.
 */
import { ConflictError, describeError, NotFoundError, RrError, UsageError } from "../../errors.ts";

export type Frame = { type: "json"; value: unknown } | { type: "data"; data: Uint8Array } | { type: "end" };

/** A byte pipe with back-pressure: `write` resolves once the other side may take more. */
export interface Transport {
  write(bytes: Uint8Array): Promise<void>;
  chunks: AsyncIterator<Uint8Array>;
  close(): void;
}

/** An error as it crosses the channel. */
export interface WireError {
  message: string;
  code?: string;
  hint?: string;
}

const MAX_DATA = 1 << 20;
const TYPES = { json: 0x4a, data: 0x44, end: 0x45 } as const;

export class FrameChannel {
  private buffered: Uint8Array[] = [];
  private size = 0;
  private eof = false;

  constructor(private readonly transport: Transport) {}

  async sendJson(value: unknown): Promise<void> {
    await this.send(TYPES.json, Buffer.from(JSON.stringify(value)));
  }

  async sendData(data: Uint8Array): Promise<void> {
    for (let off = 0; off < data.length; off += MAX_DATA) await this.send(TYPES.data, data.subarray(off, off + MAX_DATA));
  }

  async sendEnd(): Promise<void> {
    await this.send(TYPES.end, new Uint8Array(0));
  }

  async sendError(err: unknown): Promise<void> {
    await this.sendJson({ error: toWire(err) });
  }

  private async send(type: number, payload: Uint8Array): Promise<void> {
    const head = Buffer.alloc(5);
    head[0] = type;
    head.writeUInt32BE(payload.length, 1);
    await this.transport.write(Buffer.concat([head, payload]));
  }

  /** The next frame, or undefined when the other side is gone. */
  async next(): Promise<Frame | undefined> {
    const head = await this.take(5);
    if (!head) return undefined;
    const len = Buffer.from(head).readUInt32BE(1);
    const payload = len ? await this.take(len) : new Uint8Array(0);
    if (!payload) throw new RrError("the container file helper closed the connection mid-message");
    switch (head[0]) {
      case TYPES.json: return { type: "json", value: JSON.parse(Buffer.from(payload).toString("utf8")) };
      case TYPES.data: return { type: "data", data: payload };
      case TYPES.end: return { type: "end" };
    }
    throw new RrError(`unexpected frame type ${head[0]} from the container file helper`);
  }

  /** The next JSON message; an `{error}` message is thrown as the error it describes. */
  async json<T>(): Promise<T> {
    const f = await this.next();
    if (!f) throw new RrError("the container file helper closed the connection");
    if (f.type !== "json") throw new RrError(`expected a message from the container file helper, got ${f.type}`);
    const v = f.value as { error?: WireError };
    if (v && typeof v === "object" && v.error) throw fromWire(v.error);
    return f.value as T;
  }

  /** Data frames up to the end of the stream; an error message in between is thrown. */
  async *data(): AsyncGenerator<Uint8Array> {
    for (;;) {
      const f = await this.next();
      if (!f) throw new RrError("the container file helper closed the connection before the end of the stream");
      if (f.type === "end") return;
      if (f.type === "data") { yield f.data; continue; }
      const v = f.value as { error?: WireError };
      throw v?.error ? fromWire(v.error) : new RrError("unexpected message in the middle of a stream");
    }
  }

  /**
   * The data frames for a reader that may stop early (a tar reader stops at
   * the end-of-archive marker and closes its source): closing does not end
   * the stream, `drain()` reads on up to its end frame.
   */
  dataStream(): { source: AsyncIterable<Uint8Array>; drain(): Promise<void> } {
    const it = this.data();
    return {
      source: { [Symbol.asyncIterator]: () => ({ next: () => it.next(), return: async () => ({ done: true, value: undefined }) }) },
      drain: async () => { while (!(await it.next()).done); },
    };
  }

  close(): void {
    this.transport.close();
  }

  private async take(n: number): Promise<Uint8Array | undefined> {
    while (this.size < n && !this.eof) {
      const r = await this.transport.chunks.next();
      if (r.done) { this.eof = true; break; }
      if (!r.value.length) continue;
      this.buffered.push(r.value);
      this.size += r.value.length;
    }
    if (this.size < n) {
      if (this.size === 0) return undefined;
      throw new RrError("the container file helper closed the connection mid-message");
    }
    const all = this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.buffered = rest.length ? [rest] : [];
    this.size = rest.length;
    return out;
  }
}

export function toWire(err: unknown): WireError {
  const { message, hint } = describeError(err);
  return { message, hint, code: err instanceof RrError ? err.code : undefined };
}

export function fromWire(w: WireError): RrError {
  const opts = { hint: w.hint };
  if (w.code === "NOT_FOUND") return new NotFoundError(w.message, opts);
  if (w.code === "USAGE") return new UsageError(w.message, opts);
  if (w.code === "CONFLICT") return new ConflictError(w.message, opts);
  return new RrError(w.message, { code: w.code, hint: w.hint });
}
