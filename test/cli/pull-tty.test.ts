/**
 * `rr pull` on a terminal (tmux): one live line per layer that ends as
 * "Pull complete", then the digest and status lines, as `docker pull` shows.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { integrationSkipReason, Sandbox } from "../helpers/rr.ts";
import { writeFixtures } from "../helpers/fixtures.ts";
import { registrySkipReason, skopeoCopy, startRegistry, type RunningRegistry } from "../helpers/registry.ts";
import { findHelper } from "../../src/runtime/identity.ts";

const skip = integrationSkipReason() ?? registrySkipReason() ?? (findHelper("tmux") ? undefined : "tmux is not installed");

describe.skipIf(!!skip)(`rr pull on a terminal${skip ? ` — skipped: ${skip}` : ""}`, () => {
  let sb: Sandbox;
  let reg: RunningRegistry;
  beforeAll(async () => {
    sb = new Sandbox();
    reg = await startRegistry();
    await skopeoCopy(`docker-archive:${writeFixtures(sb).multi}`, `docker://${reg.host}/lib/multi:1`);
  }, 30_000);
  afterAll(async () => {
    await reg?.cleanup();
    sb?.cleanup();
  });

  test("shows a live line per layer that ends as Pull complete", async () => {
    const socket = sb.path("tmux-pull");
    const { argv, env } = sb.command("rootless", ["pull", `${reg.host}/lib/multi:1`]);
    const full = ["env", ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv];
    const cmd = full.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
    const tmux = (...args: string[]) => Bun.spawnSync(["tmux", "-S", socket, ...args]).stdout.toString();
    tmux("new-session", "-d", "-s", "pull", "-x", "120", "-y", "30", `${cmd}; echo "pull-exit=$?"; sleep 5`);
    let screen = "";
    try {
      for (let i = 0; i < 200 && !/pull-exit=/.test(screen); i++) {
        await Bun.sleep(50);
        screen = tmux("capture-pane", "-p", "-t", "pull");
      }
    } finally {
      tmux("kill-server");
    }
    expect(screen).toContain("pull-exit=0");
    expect(screen).toContain("1: Pulling from lib/multi");
    expect(screen.match(/^[0-9a-f]{12}: Pull complete\s*$/gm)).toHaveLength(2);
    expect(screen).not.toMatch(/Downloading|Extracting/); // live states were overwritten in place
    expect(screen).toMatch(/^Digest: sha256:[0-9a-f]{64}\s*$/m);
    expect(screen).toContain(`Status: Downloaded newer image for ${reg.host}/lib/multi:1`);
  });
});
