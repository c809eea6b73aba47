/**
 * A TCP server on the host's 127.0.0.1 that answers every connection with one
 * line and closes: what containers try to reach through 10.0.2.2 (host
 * loopback through slirp4netns). It runs in a child process, so it answers
 * while the test blocks in a synchronous `rr` call.
 */
import { join } from "node:path";

export const HOST_SERVER_REPLY = "rr-host-server-hello";

export interface HostServer {
  port: number;
  stop: () => void;
}

export async function startHostServer(): Promise<HostServer> {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, "net-host-server.ts")], { stdout: "pipe", stderr: "inherit" });
  const reader = proc.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the host test server ended before it listened");
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return { port: Number(text.trim()), stop: () => proc.kill("SIGKILL") };
}

if (import.meta.main) {
  const server = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(s) {
        s.write(`${HOST_SERVER_REPLY}\n`);
        s.end();
      },
      data() {},
    },
  });
  console.log(server.port);
}
