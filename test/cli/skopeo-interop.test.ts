/**
 * Archives written by a peer: skopeo copies rr's own store (an OCI layout)
 * into a docker-archive and an OCI archive, and rr loads and runs both.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync } from "node:fs";
import { integrationSkipReason, Sandbox } from "../helpers/rr.ts";
import { writeFixtures } from "../helpers/fixtures.ts";
import { findHelper } from "../../src/runtime/identity.ts";

const skip = integrationSkipReason() ?? (findHelper("skopeo") ? undefined : "skopeo is not installed");

describe.skipIf(!!skip)(`skopeo interop${skip ? ` — skipped: ${skip}` : ""}`, () => {
  let sb: Sandbox;
  beforeAll(() => {
    sb = new Sandbox();
    sb.ok("root", ["load", "-i", writeFixtures(sb).multi]);
  });
  afterAll(() => sb?.cleanup());

  for (const [transport, file] of [["docker-archive", "skopeo-docker.tar"], ["oci-archive", "skopeo-oci.tar"]] as const) {
    test(`rr loads and runs a ${transport} that skopeo wrote from rr's store`, () => {
      const out = sb.path(file);
      const ref = `copied/multi:${transport}`;
      const dest = `${transport}:${out}:${ref}`;
      const r = Bun.spawnSync(["skopeo", "copy", "--quiet", `oci:${sb.storeRoot("root")}:docker.io/library/multi:latest`, dest], { stderr: "pipe" });
      expect(r.stderr.toString()).toBe("");
      expect(r.exitCode).toBe(0);
      chmodSync(out, 0o644);
      // a fresh root store, and the rootless user's (empty) store
      const stores = [["root", sb.path(`fresh-${transport}`)], ["rootless", sb.storeRoot("rootless")]] as const;
      for (const [mode, root] of stores) {
        const loaded = sb.rr(mode, ["load", "-i", out], { env: { RR_ROOT: root } });
        expect(loaded.stderr).toBe("");
        expect(loaded.stdout).toContain(ref);
        const text = sb.ok(mode, ["run", "--rm", ref, "sh", "-c", "test -e /etc/removed || echo gone; ls /data/opq"], { env: { RR_ROOT: root } });
        expect(text).toBe("gone\nc\n");
      }
    });
  }
});
