/**
 * Runs one container-file request (serve.ts) where the files may be
 * touched: as root in this process; rootless in `rr __container-fs`
 * inside rr's user namespace (DESIGN invariant 6), or, for a running
 * container's own root, inside that container's user namespace (nsenter),
 * where its processes' /proc/PID/root is ours to open whatever user they
 * run as. The helper connects back over an abstract Unix socket and proves
 * itself with a secret token it got through its environment.
 */
import { randomBytes } from "node:crypto";
import { createServer, type Server, type Socket } from "node:net";
import { RrError } from "../../errors.ts";
import { findHelper, type Identity } from "../identity.ts";
import { FrameChannel } from "./frame-channel.ts";
import type { FsRequest } from "./serve.ts";
import { memoryPair, socketTransport } from "./transports.ts";

export const SOCKET_ENV = "RR_CFS_SOCKET";
export const TOKEN_ENV = "RR_CFS_TOKEN";

export async function withContainerFs<T>(identity: Identity, req: FsRequest, host: (ch: FrameChannel) => Promise<T>): Promise<T> {
  if (identity.mode === "root") return inProcess(req, host);
  return inHelper(identity, req, host);
}

async function inProcess<T>(req: FsRequest, host: (ch: FrameChannel) => Promise<T>): Promise<T> {
  const { serveRequest } = await import("./serve.ts");
  const [a, b] = memoryPair();
  const hostSide = new FrameChannel(a);
  // Once the container side is done (or failed), rr's writes fail at once instead of waiting for a reader.
  const served = serveRequest(req, new FrameChannel(b)).finally(() => b.close());
  try {
    return await host(hostSide);
  } finally {
    hostSide.close();
    await served;
  }
}

async function inHelper<T>(identity: Identity, req: FsRequest, host: (ch: FrameChannel) => Promise<T>): Promise<T> {
  const name = `rr-cfs-${process.pid}-${randomBytes(6).toString("hex")}`;
  const token = randomBytes(16).toString("hex");
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(`\0${name}`, () => resolve());
  });
  let exited: Promise<number>;
  try {
    ({ exited } = await startHelper(identity, req, { [SOCKET_ENV]: name, [TOKEN_ENV]: token }));
  } catch (err) {
    server.close();
    throw err;
  }
  const { socket, ch } = await Promise.race([
    accept(server, token),
    exited.then((code): never => { throw new RrError(`rr's container file helper exited with status ${code} before it started`); }),
  ]).finally(() => server.close());
  let result: T;
  try {
    await ch.sendJson({ request: req });
    result = await host(ch);
  } catch (err) {
    socket.destroy();
    await exited.catch(() => {});
    throw err;
  }
  socket.end();
  const code = await exited;
  if (code !== 0) throw new RrError(`rr's container file helper exited with status ${code}`);
  return result;
}

/** The first connection that says the token; anyone else is dropped. */
function accept(server: Server, token: string): Promise<{ socket: Socket; ch: FrameChannel }> {
  return new Promise((resolve) => {
    server.on("connection", (socket) => {
      socket.on("error", () => {});
      const ch = new FrameChannel(socketTransport(socket));
      void ch.next().then((f) => {
        const hello = f?.type === "json" ? (f.value as { hello?: string }).hello : undefined;
        if (hello === token) resolve({ socket, ch });
        else socket.destroy();
      }, () => socket.destroy());
    });
  });
}

async function startHelper(identity: Identity, req: FsRequest, env: Record<string, string>): Promise<{ exited: Promise<number> }> {
  const { selfCommand } = await import("../self-exec.ts");
  const argv = [...selfCommand(), "__container-fs"];
  if (!req.spec.live) {
    const { runInUserNamespace } = await import("../in-userns.ts");
    return { exited: runInUserNamespace(identity, argv, env) };
  }
  const nsenter = findHelper("nsenter");
  if (!nsenter) throw new RrError("copying files of a running container needs nsenter", { hint: "apt-get install util-linux" });
  // Root of the container's own user namespace: its /proc/PID/root and every file in it are ours there.
  // --preserve-credentials: our uid is already 0 there, and setgroups may be denied (rootless-single).
  const proc = Bun.spawn([nsenter, "-t", String(req.spec.live.pid), "-U", "--preserve-credentials", "--", ...argv], {
    env: { ...process.env, ...env }, stdin: "ignore", stdout: "inherit", stderr: "inherit",
  });
  return { exited: proc.exited };
}
