/**
 * The two byte pipes a FrameChannel runs over: a Unix socket to the helper
 * in the user namespace, or, as root, an in-process pair with the same
 * back-pressure (a writer waits while the reader is 4 MiB behind).
 */
import type { Socket } from "node:net";
import { RrError } from "../../errors.ts";
import type { Transport } from "./frame-channel.ts";

const HIGH_WATER = 4 << 20;

class Pipe {
  private queue: Uint8Array[] = [];
  private size = 0;
  private closed = false;
  private readerWaiting?: () => void;
  private writersWaiting: (() => void)[] = [];

  async write(bytes: Uint8Array): Promise<void> {
    if (this.closed) throw new RrError("the other side of the container file channel is gone", { code: "EPIPE" });
    this.queue.push(bytes);
    this.size += bytes.length;
    this.readerWaiting?.();
    while (this.size > HIGH_WATER && !this.closed) await new Promise<void>((r) => this.writersWaiting.push(r));
  }

  close(): void {
    this.closed = true;
    this.readerWaiting?.();
    for (const w of this.writersWaiting.splice(0)) w();
  }

  async *read(): AsyncGenerator<Uint8Array> {
    for (;;) {
      while (this.queue.length) {
        const c = this.queue.shift()!;
        this.size -= c.length;
        if (this.size <= HIGH_WATER) for (const w of this.writersWaiting.splice(0)) w();
        yield c;
      }
      if (this.closed) return;
      await new Promise<void>((r) => (this.readerWaiting = r));
      this.readerWaiting = undefined;
    }
  }
}

/** Two connected in-process transports. Closing either ends both directions. */
export function memoryPair(): [Transport, Transport] {
  const ab = new Pipe();
  const ba = new Pipe();
  const close = () => { ab.close(); ba.close(); };
  return [
    { write: (b) => ab.write(b), chunks: ba.read(), close },
    { write: (b) => ba.write(b), chunks: ab.read(), close },
  ];
}

export function socketTransport(socket: Socket): Transport {
  let failure: Error | undefined;
  socket.on("error", (err) => { failure = err; });
  return {
    write: (bytes) => new Promise((resolve, reject) => {
      if (failure || socket.destroyed) return reject(new RrError("the container file channel is closed", { code: "EPIPE", cause: failure }));
      if (socket.write(bytes)) return resolve();
      const done = () => { socket.off("close", done); socket.off("drain", done); socket.destroyed ? reject(new RrError("the container file channel is closed", { code: "EPIPE" })) : resolve(); };
      socket.once("drain", done);
      socket.once("close", done);
    }),
    chunks: (socket as unknown as AsyncIterable<Uint8Array>)[Symbol.asyncIterator](),
    close: () => { socket.end(); },
  };
}
