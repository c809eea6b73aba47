/**
 * The one rootfs every tool runs: Debian's static busybox, built at bench
 * time with the test fixtures, as a `docker save` archive (for rr and
 * podman) and as a plain directory (for bwrap and crun).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { tarBytes } from "../../src/image/tar-writer.ts";
import { busyboxLayer, writeDockerArchive } from "../../test/fixtures/images.ts";
import { runAsUser, type UserEnv } from "./as-user.ts";

export interface BusyboxFixture {
  /** `docker save` archive tagged busybox:latest */
  archive: string;
  /** the same layer extracted, owned by the user */
  rootfs: string;
}

export function makeBusyboxFixture(dir: string, u: UserEnv): BusyboxFixture {
  const layer = busyboxLayer();
  const archive = join(dir, "busybox.tar");
  writeDockerArchive(archive, { repoTags: ["busybox:latest"], layers: [layer] });
  const layerTar = join(dir, "busybox-rootfs.tar");
  writeFileSync(layerTar, tarBytes(layer));
  const rootfs = join(dir, "rootfs");
  // Extracted by the user, so every file is theirs (0 inside a user namespace).
  runAsUser(u, ["mkdir", rootfs]);
  runAsUser(u, ["tar", "-xf", layerTar, "-C", rootfs]);
  return { archive, rootfs };
}
