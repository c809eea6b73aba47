/**
 * `rr pull` on a terminal (tmux): one live line per layer that ends as
 * "Pull complete", then the digest and status lines, as `docker pull` shows.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { integrationSkipReason, Sandbox } from "../helpers/rr.ts";
import { writeFixtures } from "../helpers/fixtures.ts";
import { registrySkipReason, skopeoCopy, startRegistry, type RunningRegistry } from "../helpers/registry.ts";
import { findHelper } from "../../src/runtime/identity.ts";
import { rrShellLine, TmuxSession } from "../helpers/tmux.ts";

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
    const cmd = rrShellLine(sb, "rootless", ["pull", `${reg.host}/lib/multi:1`]);
    const term = new TmuxSession(sb.path("tmux-pull"), 120, 30, `${cmd}; echo "pull-exit=$?"; sleep 5`);
    let screen: string;
    try {
      screen = await term.waitFor(/pull-exit=/, 200);
    } finally {
      term.kill();
    }
    expect(screen).toContain("pull-exit=0");
    expect(screen).toContain("1: Pulling from lib/multi");
    expect(screen.match(/^[0-9a-f]{12}: Pull complete\s*$/gm)).toHaveLength(2);
    expect(screen).not.toMatch(/Downloading|Extracting/); // live states were overwritten in place
    expect(screen).toMatch(/^Digest: sha256:[0-9a-f]{64}\s*$/m);
    expect(screen).toContain(`Status: Downloaded newer image for ${reg.host}/lib/multi:1`);
  });
});
