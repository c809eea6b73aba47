/**
 * `rr run -it` through a real terminal (tmux): an interactive shell, the
 * window size at start, and SIGWINCH when the window changes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { integrationSkipReason, MODES, Sandbox, type Mode } from "../helpers/rr.ts";
import { writeFixtures } from "../helpers/fixtures.ts";
import { findHelper } from "../../src/runtime/identity.ts";

const skip = integrationSkipReason() ?? (findHelper("tmux") ? undefined : "tmux is not installed");

function tmux(socket: string, ...args: string[]): string {
  return Bun.spawnSync(["tmux", "-S", socket, ...args]).stdout.toString();
}

async function waitFor(socket: string, pattern: RegExp): Promise<string> {
  let screen = "";
  for (let i = 0; i < 100; i++) {
    screen = tmux(socket, "capture-pane", "-p", "-t", "rr");
    if (pattern.test(screen)) return screen;
    await Bun.sleep(50);
  }
  throw new Error(`screen never matched ${pattern}:\n${screen}`);
}

describe.skipIf(!!skip).each(MODES)(`rr run -it (%s)${skip ? ` — skipped: ${skip}` : ""}`, (mode: Mode) => {
  let sb: Sandbox;
  beforeAll(() => {
    sb = new Sandbox();
    sb.ok(mode, ["load", "-i", writeFixtures(sb).busybox]);
  });
  afterAll(() => sb?.cleanup());

  test("when its terminal goes away, rr and the container go too", async () => {
    const socket = sb.path(`tmux-hup-${mode}`);
    const { argv, env } = sb.command(mode, ["run", "--rm", "-it", "--name", `hup-${mode}`, "busybox", "sh"]);
    const full = ["env", ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv];
    const cmd = full.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
    tmux(socket, "new-session", "-d", "-s", "rr", "-x", "80", "-y", "24", cmd);
    await waitFor(socket, /^\/ # ?$/m);
    tmux(socket, "kill-server");
    let listing = "";
    for (let i = 0; i < 60; i++) {
      listing = sb.ok(mode, ["ps", "-a"]);
      if (!listing.includes(`hup-${mode}`)) break;
      await Bun.sleep(50);
    }
    expect(listing).not.toContain(`hup-${mode}`);
  });

  test("gives an interactive shell that follows the window size", async () => {
    const socket = sb.path(`tmux-${mode}`);
    const { argv, env } = sb.command(mode, ["run", "--rm", "-it", "busybox", "sh"]);
    const full = ["env", ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv];
    const cmd = full.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
    tmux(socket, "new-session", "-d", "-s", "rr", "-x", "100", "-y", "30", `${cmd}; echo "rr-exit=$?"; sleep 5`);
    try {
      await waitFor(socket, /^\/ # ?$/m);
      tmux(socket, "send-keys", "-t", "rr", "echo $((6*7)); stty size", "Enter");
      await waitFor(socket, /^42\s*\n30 100/m);
      tmux(socket, "resize-window", "-t", "rr", "-x", "120", "-y", "40");
      await Bun.sleep(200);
      tmux(socket, "send-keys", "-t", "rr", "stty size", "Enter");
      await waitFor(socket, /^40 120/m);
      tmux(socket, "send-keys", "-t", "rr", "exit 5", "Enter");
      await waitFor(socket, /rr-exit=5/);
    } finally {
      tmux(socket, "kill-server");
    }
  });
});
