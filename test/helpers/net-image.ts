/**
 * The image `netbox:latest`: busybox plus /bin/udpecho, a static UDP echo
 * server compiled here (this busybox's `nc` has no UDP), for the published
 * UDP port test. `udpecho PORT` answers each datagram with "udpecho:" + it.
 */
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { busyboxLayer, FIXTURE_MTIME, writeDockerArchive } from "../fixtures/images.ts";
import type { TarSpec } from "../../src/image/tar-writer.ts";
import type { Sandbox } from "./rr.ts";

const UDPECHO_C = `
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
int main(int argc, char **argv) {
  if (argc != 2) return 2;
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[1])) };
  if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0) return 1;
  char in[65000], out[65100];
  for (;;) {
    struct sockaddr_in peer; socklen_t len = sizeof peer;
    ssize_t n = recvfrom(s, in, sizeof in, 0, (struct sockaddr *)&peer, &len);
    if (n < 0) continue;
    memcpy(out, "udpecho:", 8); memcpy(out + 8, in, n);
    sendto(s, out, n + 8, 0, (struct sockaddr *)&peer, len);
  }
}
`;

/** Writes netbox.tar into the sandbox and returns its path. */
export function writeNetbox(sb: Sandbox): string {
  const src = sb.path("udpecho.c"), bin = sb.path("udpecho"), tar = sb.path("netbox.tar");
  writeFileSync(src, UDPECHO_C);
  const cc = Bun.spawnSync(["cc", "-static", "-O2", "-o", bin, src], { stderr: "pipe" });
  if (cc.exitCode !== 0) throw new Error(`cc -static udpecho.c failed: ${cc.stderr.toString()}`);
  const extra: TarSpec = { type: "file", path: "bin/udpecho", data: readFileSync(bin), mode: 0o755, mtime: FIXTURE_MTIME } as TarSpec;
  writeDockerArchive(tar, { repoTags: ["netbox:latest"], layers: [busyboxLayer(), [extra]] });
  chmodSync(tar, 0o644);
  return tar;
}
