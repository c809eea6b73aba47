/**
 * Hidden: `rr __container-fs` is rr's helper for diff, commit, export and cp
 * when it runs rootless: started inside the user namespace (or a running
 * container's), it connects to the socket named in its environment, proves
 * itself with the token, serves the one request it is sent, and exits.
 */
import { connect } from "node:net";
import type { Command } from "../command.ts";
import { UsageError } from "../../errors.ts";
import { FrameChannel } from "../../runtime/container-fs/frame-channel.ts";
import { SOCKET_ENV, TOKEN_ENV } from "../../runtime/container-fs/runner.ts";
import { serveRequest, type FsRequest } from "../../runtime/container-fs/serve.ts";
import { socketTransport } from "../../runtime/container-fs/transports.ts";

const command: Command = {
  summary: "(internal) read or write a container's files for diff, commit, export and cp",
  usage: "Usage:  rr __container-fs   (started by rr, with RR_CFS_SOCKET and RR_CFS_TOKEN set)",
  async run(_argv, ctx) {
    const name = ctx.env[SOCKET_ENV];
    const token = ctx.env[TOKEN_ENV];
    if (!name || !token) throw new UsageError("__container-fs is started by rr itself");
    const socket = connect(`\0${name}`);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    const ch = new FrameChannel(socketTransport(socket));
    await ch.sendJson({ hello: token });
    const { request } = await ch.json<{ request: FsRequest }>();
    await serveRequest(request, ch);
    // Everything written must reach rr before this process exits (unless rr is already gone).
    await new Promise<void>((resolve) => {
      if (socket.destroyed) return resolve();
      socket.once("close", () => resolve());
      socket.end(() => resolve());
    });
    return 0;
  },
};
export default command;
