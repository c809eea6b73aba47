/** Writes the fixture image archives into a sandbox, readable by the test account. */
import { chmodSync } from "node:fs";
import { busyboxLayer, multiLayerImage, writeDockerArchive, writeOciArchive } from "../fixtures/images.ts";
import type { Sandbox } from "./rr.ts";

export interface FixtureFiles {
  busybox: string;
  busyboxOci: string;
  multi: string;
}

export function writeFixtures(sb: Sandbox): FixtureFiles {
  const files = {
    busybox: sb.path("busybox.tar"),
    busyboxOci: sb.path("busybox-oci.tar"),
    multi: sb.path("multi.tar"),
  };
  writeDockerArchive(files.busybox, { repoTags: ["busybox:latest"], layers: [busyboxLayer()] });
  writeOciArchive(files.busyboxOci, { repoTags: ["busybox-oci:latest"], layers: [busyboxLayer()], compress: "gzip" });
  writeDockerArchive(files.multi, { ...multiLayerImage(), repoTags: ["multi:latest"] });
  for (const f of Object.values(files)) chmodSync(f, 0o644);
  return files;
}
