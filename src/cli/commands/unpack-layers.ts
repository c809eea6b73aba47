/**
 * Hidden: `rr __unpack-layers --root DIR --owner-pid PID --serve NAME`.
 * rr runs this in itself as root of its user namespace (src/cli/unpack-session.ts),
 * so layer files get their mapped owners. It connects to rr's abstract socket
 * NAME, proves itself with the token from its environment, then extracts
 * the layers rr sends, following a blob's staging file while rr still
 * downloads it (rr then sends its verdict), and renames them into
 * place when rr says commit. If rr goes away first, it removes what it
 * extracted and exits (and if rr is killed, pdeathsig kills it too; the
 * pid-named tmp entries are then swept by the next openStore).
 * It never opens the store: inside the namespace the identity looks like
 * root and would not match the store's.
 */
import { connect } from "node:net";
import type { Command } from "../command.ts";
import { parseArgs, str } from "../args.ts";
import { describeError, RrError, UsageError } from "../../errors.ts";
import { LayerBatch } from "../../store/layer-batch.ts";
import { GrowingBlob } from "../../store/layer-follow.ts";
import { readLines, send, UNPACK_TOKEN_ENV, type Request } from "../unpack-protocol.ts";

const command: Command = {
  summary: "Unpack image layers (internal)",
  usage: "Usage:  rr __unpack-layers --root DIR --owner-pid PID --serve NAME",
  async run(argv) {
    const { options } = parseArgs(argv, [
      { name: "root", value: true }, { name: "owner-pid", value: true }, { name: "serve", value: true },
    ], { command: "__unpack-layers" });
    const root = str(options, "root"), name = str(options, "serve"), token = process.env[UNPACK_TOKEN_ENV];
    if (!root || !name || !token) throw new UsageError(`__unpack-layers needs --root, --serve and ${UNPACK_TOKEN_ENV}`);
    const ownerPid = Number(str(options, "owner-pid") ?? process.pid);
    return serve(root, name, token, ownerPid);
  },
};

function serve(root: string, name: string, token: string, ownerPid: number): Promise<number> {
  const socket = connect({ path: `\0${name}` }); // abstract: see unpack-protocol.ts
  const batch = new LayerBatch(root, {
    ownerPid,
    onWarning: (message) => send(socket, { op: "warn", message }),
  });
  socket.on("connect", () => send(socket, { op: "hello", token }));
  const growing = new Map<number, GrowingBlob>(); // extract id → its blob, still downloading
  readLines<Request>(socket, (req) => {
    if (req.op === "extract") {
      const blob = req.growing ? new GrowingBlob() : undefined;
      if (blob) growing.set(req.id, blob);
      batch.extract({ blobPath: req.blobPath, diffId: req.diffId, mediaType: req.mediaType, growing: blob }).then(
        (r) => send(socket, { op: "done", id: req.id, skippedOwnership: r?.skippedOwnership, skippedDevices: r?.skippedDevices }),
        (err) => fail(req.id, err),
      ).finally(() => growing.delete(req.id));
    } else if (req.op === "blob") {
      const blob = growing.get(req.id);
      if (req.size !== undefined && !req.failed) blob?.finish(req.size);
      else blob?.fail();
    } else if (req.op === "commit") {
      try {
        batch.commit();
        send(socket, { op: "done", id: req.id });
      } catch (err) {
        fail(req.id, err);
      }
    }
  });
  function fail(id: number, err: unknown): void {
    const { message, hint } = describeError(err);
    send(socket, { op: "failed", id, message, hint, code: err instanceof RrError ? err.code : undefined });
  }
  return new Promise((resolve) => {
    // rr closed its end (done, failed elsewhere, or gone): nothing uncommitted may stay.
    socket.on("close", () => {
      batch.discard().then(() => resolve(0), () => resolve(1));
    });
    socket.on("error", () => {}); // "close" follows
    socket.on("end", () => socket.end());
  });
}

export default command;
