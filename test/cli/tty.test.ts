/**
 * `rr run -it` through a real terminal (tmux): an interactive shell, the
 * window size at start, and SIGWINCH when the window changes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { integrationSkipReason, MODES, Sandbox, type Mode } from "../helpers/rr.ts";
import { writeFixtures } from "../helpers/fixtures.ts";
import { findHelper } from "../../src/runtime/identity.ts";
import { rrShellLine, TmuxSession } from "../helpers/tmux.ts";

const skip = integrationSkipReason() ?? (findHelper("tmux") ? undefined : "tmux is not installed");

describe.skipIf(!!skip).each(MODES)(`rr run -it (%s)${skip ? ` — skipped: ${skip}` : ""}`, (mode: Mode) => {
  let sb: Sandbox;
  beforeAll(() => {
    sb = new Sandbox();
    sb.ok(mode, ["load", "-i", writeFixtures(sb).busybox]);
  });
  afterAll(() => sb?.cleanup());

  test("when its terminal goes away, rr and the container go too", async () => {
    const cmd = rrShellLine(sb, mode, ["run", "--rm", "-it", "--name", `hup-${mode}`, "busybox", "sh"]);
    const term = new TmuxSession(sb.path(`tmux-hup-${mode}`), 80, 24, cmd);
    await term.waitFor(/^\/ # ?$/m);
    term.kill();
    let listing = "";
    for (let i = 0; i < 60; i++) {
      listing = sb.ok(mode, ["ps", "-a"]);
      if (!listing.includes(`hup-${mode}`)) break;
      await Bun.sleep(50);
    }
    expect(listing).not.toContain(`hup-${mode}`);
  });

  test("gives an interactive shell that follows the window size", async () => {
    const cmd = rrShellLine(sb, mode, ["run", "--rm", "-it", "busybox", "sh"]);
    const term = new TmuxSession(sb.path(`tmux-${mode}`), 100, 30, `${cmd}; echo "rr-exit=$?"; sleep 5`);
    try {
      await term.waitFor(/^\/ # ?$/m);
      term.keys("echo $((6*7)); stty size");
      await term.waitFor(/^42\s*\n30 100/m);
      term.resize(120, 40);
      await Bun.sleep(200);
      term.keys("stty size");
      await term.waitFor(/^40 120/m);
      term.keys("exit 5");
      await term.waitFor(/rr-exit=5/);
    } finally {
      term.kill();
    }
  });
});
