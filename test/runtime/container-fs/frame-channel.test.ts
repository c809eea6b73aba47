import { describe, expect, test } from "bun:test";
import { NotFoundError, RrError } from "../../../src/errors.ts";
import { FrameChannel } from "../../../src/runtime/container-fs/frame-channel.ts";
import { memoryPair } from "../../../src/runtime/container-fs/transports.ts";

function pair() {
  const [a, b] = memoryPair();
  return { a: new FrameChannel(a), b: new FrameChannel(b) };
}

describe("FrameChannel", () => {
  test("messages, then a data stream, then its end, in order", async () => {
    const { a, b } = pair();
    const sending = (async () => {
      await a.sendJson({ hello: 1 });
      await a.sendData(new Uint8Array(3 << 20).fill(7)); // more than one frame
      await a.sendEnd();
      await a.sendJson({ ok: true });
    })();
    expect(await b.json()).toEqual({ hello: 1 });
    let n = 0;
    for await (const c of b.data()) { n += c.length; expect(c.every((x) => x === 7)).toBe(true); }
    expect(n).toBe(3 << 20);
    expect(await b.json()).toEqual({ ok: true });
    await sending;
  });

  test("an error sent in place of a message or in the middle of a stream is thrown as that error", async () => {
    const { a, b } = pair();
    await a.sendError(new NotFoundError("Could not find the file /x in container c"));
    await expect(b.json()).rejects.toBeInstanceOf(NotFoundError);
    await a.sendData(new Uint8Array(10));
    await a.sendError(new RrError("disk full", { hint: "free some space" }));
    const read = async () => { for await (const _ of b.data()); };
    await expect(read()).rejects.toThrow("disk full");
  });

  test("a writer waits while the reader is behind, and fails once the reader is gone", async () => {
    const [x, y] = memoryPair();
    let written = 0;
    const writer = (async () => {
      for (let i = 0; i < 10; i++) { await x.write(new Uint8Array(1 << 20)); written++; }
    })();
    await Bun.sleep(20);
    expect(written).toBeLessThan(10);
    y.close();
    await writer.catch(() => {});
    await expect(x.write(new Uint8Array(1))).rejects.toThrow();
  });

  test("dataStream survives a reader that stops early; drain reads on to the end", async () => {
    const { a, b } = pair();
    await a.sendData(new Uint8Array([1]));
    await a.sendData(new Uint8Array([2]));
    await a.sendEnd();
    await a.sendJson({ after: true });
    const s = b.dataStream();
    for await (const c of s.source) { expect(c[0]).toBe(1); break; }
    await s.drain();
    expect(await b.json()).toEqual({ after: true });
  });
});
