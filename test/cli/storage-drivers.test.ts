/**
 * The fallback storage drivers, forced with RR_STORAGE_DRIVER: the same
 * image semantics (whiteouts, opaque dirs, hardlinks, owners) through
 * fuse-overlayfs and through a copied root, in each identity mode.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { integrationSkipReason, MODES, Sandbox, type Mode } from "../helpers/rr.ts";
import { writeFixtures } from "../helpers/fixtures.ts";
import { findHelper } from "../../src/runtime/identity.ts";

const skip = integrationSkipReason() ?? (findHelper("fuse-overlayfs") ? undefined : "fuse-overlayfs is not installed");
const DRIVERS = ["fuse-overlayfs", "copy"] as const;

function fuseDaemons(): number {
  const r = Bun.spawnSync(["pgrep", "-c", "-f", "^fuse-overlayfs -f"]);
  return Number(r.stdout.toString().trim() || "0");
}

describe.skipIf(!!skip).each(MODES.flatMap((m) => DRIVERS.map((d) => [m, d] as const)))(
  `storage driver (%s, %s)${skip ? ` — skipped: ${skip}` : ""}`,
  (mode: Mode, driver: string) => {
    let sb: Sandbox;
    const env = { RR_STORAGE_DRIVER: driver };
    const out = (args: string[]) => sb.ok(mode, ["run", "--rm", ...args], { env });

    beforeAll(() => {
      sb = new Sandbox();
      sb.ok(mode, ["load", "-i", writeFixtures(sb).multi]);
    });
    afterAll(() => sb?.cleanup());

    test("the root is made by the forced driver", () => {
      const root = out(["multi", "awk", "$5 == \"/\"", "/proc/self/mountinfo"]);
      expect(root).toContain(driver === "fuse-overlayfs" ? "fuse-overlayfs" : "/rootfs / ");
    });

    test("whiteouts, opaque directories, hardlinks and owners come through", () => {
      const text = out(["multi", "sh", "-c", "test -e /etc/removed || echo gone; ls /data/opq; stat -c %h /data/hard; stat -c %u /data/owned1000"]);
      expect(text).toBe(`gone\nc\n2\n${mode === "rootless-single" ? 0 : 1000}\n`);
    });

    test("the container can write, and --rm leaves nothing running or stored", () => {
      expect(out(["multi", "sh", "-c", "echo data > /etc/new && cat /etc/new"])).toBe("data\n");
      expect(sb.ok(mode, ["ps", "-a", "-q"])).toBe("");
      expect(fuseDaemons()).toBe(0);
    });

    test("a detached container keeps its files across stop and start, and its daemon ends with it", async () => {
      sb.ok(mode, ["run", "-d", "--name", "kept", "multi", "sh", "-c", "echo $$ >> /etc/runs; sleep 30"], { env });
      sb.ok(mode, ["stop", "-t", "0", "kept"], { env });
      sb.ok(mode, ["start", "kept"], { env });
      let runs = "";
      for (let i = 0; i < 100 && runs.split("\n").length < 3; i++) {
        runs = sb.rr(mode, ["exec", "kept", "cat", "/etc/runs"], { env }).stdout;
        await Bun.sleep(20);
      }
      expect(runs).toBe("1\n1\n"); // written twice, each time by a new PID 1
      sb.ok(mode, ["rm", "-f", "kept"], { env });
      for (let i = 0; i < 100 && fuseDaemons(); i++) await Bun.sleep(20);
      expect(fuseDaemons()).toBe(0);
    });
  },
);
