/**
 * What rr and its `__unpack-layers --serve` helper say to each other: one
 * JSON object per line over a Unix socket. The helper runs inside the user
 * namespace, where rr's stdio is all it inherits (the C core closes every
 * other fd), hence a socket rather than a pipe. The socket is abstract (no
 * file to leave behind, no path-length limit); since anyone on the machine
 * could connect to an abstract name, the helper's first line is a secret
 * token it got through its environment, and rr talks to nobody else.
 */
import type { Socket } from "node:net";
import type { LayerJob } from "../store/layer-batch.ts";

export const UNPACK_TOKEN_ENV = "RR_UNPACK_TOKEN";

/** rr → helper. Closing the connection means: discard everything uncommitted and exit. */
export type Request =
  | ({ op: "extract"; id: number; growing?: boolean } & Omit<LayerJob, "growing">)
  /** For an extract with `growing`: its download ended, verified at `size` bytes, or `failed`. */
  | { op: "blob"; id: number; size?: number; failed?: boolean }
  | { op: "commit"; id: number };

/** helper → rr. */
export type Reply =
  | { op: "hello"; token: string }
  | { op: "done"; id: number; skippedOwnership?: number; skippedDevices?: number }
  | { op: "failed"; id: number; message: string; hint?: string; code?: string }
  | { op: "warn"; message: string };

/** Calls `onMessage` for each complete line; tolerates lines split across chunks. */
export function readLines<T>(socket: Socket, onMessage: (m: T) => void): void {
  let buffered = "";
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    buffered += chunk;
    let nl: number;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (!line) continue;
      let message: T;
      try {
        message = JSON.parse(line) as T;
      } catch {
        socket.destroy(); // not our peer: nothing it says can be trusted
        return;
      }
      onMessage(message);
    }
  });
}

export function send(socket: Socket, message: Request | Reply): void {
  socket.write(`${JSON.stringify(message)}\n`);
}
