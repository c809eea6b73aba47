/**
 * The container lifecycle without a daemon, from the compiled binary in each
 * identity mode: create → start → stop → start → kill → rm, detached runs
 * under the C monitor, logs, attach, restart policies, and state that stays
 * true when a monitor or a container is killed with -9.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { integrationSkipReason, MODES, Sandbox, type Mode } from "../helpers/rr.ts";
import { writeFixtures } from "../helpers/fixtures.ts";
import { rrShellLine, TmuxSession } from "../helpers/tmux.ts";
import { findHelper } from "../../src/runtime/identity.ts";

const skip = integrationSkipReason();

interface Record {
  id: string;
  name: string;
  restartCount?: number;
  state: { status: string; pid?: number; monitorPid?: number; exitCode?: number };
}

describe.skipIf(!!skip).each(MODES)(`container lifecycle (%s)${skip ? ` — skipped: ${skip}` : ""}`, (mode: Mode) => {
  let sb: Sandbox;
  const rr = (args: string[], opts: Parameters<Sandbox["rr"]>[2] = {}) => sb.rr(mode, args, opts);
  const ok = (args: string[], opts: Parameters<Sandbox["rr"]>[2] = {}) => sb.ok(mode, args, opts);
  /** The stored record (pids, restart count); its status may lag: ask `status` for that. */
  const record = (name: string): Record => {
    const dir = `${sb.storeRoot(mode)}/containers`;
    for (const id of readdirSync(dir).filter((n) => n.length === 64)) {
      try {
        const r = JSON.parse(readFileSync(`${dir}/${id}/container.json`, "utf8")) as Record;
        if (r.name === name) return r;
      } catch {}
    }
    throw new Error(`no container ${name}`);
  };
  const psJson = (name: string) =>
    ok(["ps", "-a", "--format", "json"]).split("\n").filter(Boolean).map((l) => JSON.parse(l)).find((c) => c.Names === name);
  /** The state as rr shows it. */
  const status = (name: string): string => psJson(name)?.State ?? "gone";
  const exitCode = (name: string): number => Number(/Exited \((\d+)\)/.exec(psJson(name)?.Status ?? "")?.[1] ?? NaN);
  const until = async (what: () => boolean, ms = 5000) => {
    const end = Date.now() + ms;
    while (!what()) {
      if (Date.now() > end) throw new Error("timed out");
      await Bun.sleep(25);
    }
  };

  beforeAll(() => {
    sb = new Sandbox();
    sb.ok(mode, ["load", "-i", writeFixtures(sb).busybox]);
  });
  afterAll(() => {
    // end whatever a failed test left running, through rr itself
    const ids = sb.rr(mode, ["ps", "-q"]).stdout.split("\n").filter(Boolean);
    if (ids.length) sb.rr(mode, ["rm", "-f", ...ids]);
    sb?.cleanup();
  });

  test("create → start → stop → start → kill → rm, with ps at each step", async () => {
    const id = ok(["create", "--name", "seed", "busybox", "sh", "-c", "trap 'exit 0' TERM; echo ready; while true; do sleep 0.1; done"]).trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(status("seed")).toBe("created");
    expect(ok(["ps", "-a"])).toMatch(/seed/);
    expect(ok(["start", "seed"])).toBe("seed\n");
    expect(status("seed")).toBe("running");
    await until(() => rr(["logs", "seed"]).stdout === "ready\n"); // its TERM trap is set
    const pid = record("seed").state.pid!;
    expect(readFileSync(`/proc/${pid}/cmdline`, "utf8")).toContain("trap");
    expect(ok(["pause", "seed"])).toBe("seed\n");
    expect(status("seed")).toBe("paused");
    expect(rr(["pause", "seed"]).stderr).toContain("is already paused");
    expect(ok(["unpause", "seed"])).toBe("seed\n");
    expect(status("seed")).toBe("running");
    expect(ok(["stop", "seed"])).toBe("seed\n");
    expect(status("seed")).toBe("exited");
    expect(exitCode("seed")).toBe(0); // its TERM trap ran: no SIGKILL was needed
    ok(["start", id.slice(0, 12)]); // a unique id prefix works
    expect(status("seed")).toBe("running");
    expect(ok(["kill", "seed"])).toBe("seed\n");
    await until(() => status("seed") === "exited");
    expect(exitCode("seed")).toBe(137);
    expect(ok(["rm", "seed"])).toBe("seed\n");
    expect(status("seed")).toBe("gone");
  });

  test("a paused container stops, and rm -f removes it, without hanging on the freezer", async () => {
    ok(["run", "-d", "--name", "frozen", "busybox", "sleep", "30"]);
    ok(["pause", "frozen"]);
    expect(ok(["stop", "-t", "5", "frozen"])).toBe("frozen\n");
    expect(status("frozen")).toBe("exited");
    ok(["start", "frozen"]);
    ok(["pause", "frozen"]);
    expect(ok(["rm", "-f", "frozen"])).toBe("frozen\n");
    expect(status("frozen")).toBe("gone");
  });

  test("run -d prints the id while the container runs, and logs keeps stdout and stderr apart", async () => {
    const id = ok(["run", "-d", "--name", "logger", "busybox", "sh", "-c", "echo out1; echo err1 >&2; sleep 0.2; echo out2; sleep 30"]).trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(status("logger")).toBe("running");
    await until(() => rr(["logs", "logger"]).stdout.includes("out2"));
    const logs = rr(["logs", "logger"]);
    expect(logs.stdout).toBe("out1\nout2\n");
    expect(logs.stderr).toBe("err1\n");
    expect(rr(["logs", "--tail", "1", "logger"]).stdout).toBe("out2\n");
    expect(ok(["logs", "-t", "logger"])).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z out1\n/);
    expect(rr(["logs", "--until", "1h", "logger"]).stdout).toBe(""); // everything is newer than an hour ago
    expect(rr(["logs", "--since", "1h", "logger"]).stdout).toBe("out1\nout2\n");
    ok(["rm", "-f", "logger"]);
  });

  test("logs -f follows a running container and ends when it exits", async () => {
    ok(["run", "-d", "--name", "follow", "busybox", "sh", "-c", "for i in 1 2 3; do echo line$i; sleep 0.3; done"]);
    const { argv, env } = sb.command(mode, ["logs", "-f", "follow"]);
    const proc = Bun.spawn(argv, { env, stdout: "pipe", stderr: "pipe" });
    const out = await new Response(proc.stdout).text();
    expect(await proc.exited).toBe(0);
    expect(out).toBe("line1\nline2\nline3\n");
    ok(["rm", "follow"]);
  });

  test("start -a streams the output and returns the container's exit code; -i feeds stdin", () => {
    ok(["create", "--name", "att", "busybox", "sh", "-c", "echo to-out; echo to-err >&2; exit 5"]);
    const r = rr(["start", "-a", "att"]);
    expect(r).toMatchObject({ code: 5, stdout: "to-out\n", stderr: "to-err\n" });
    ok(["create", "-i", "--name", "att-in", "busybox", "sh", "-c", "read x; echo got $x; cat"]);
    const i = rr(["start", "-ai", "att-in"], { stdin: "hello\nworld\n" });
    expect(i).toMatchObject({ code: 0, stdout: "got hello\nworld\n" });
    ok(["rm", "att", "att-in"]);
  });

  test("stop sends the stop signal, then SIGKILL after -t", async () => {
    ok(["run", "-d", "--name", "stubborn", "busybox", "sh", "-c", "trap '' TERM; while true; do sleep 0.1; done"]);
    const t0 = Date.now();
    ok(["stop", "-t", "1", "stubborn"]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(exitCode("stubborn")).toBe(137);
    // PID 1 ignores signals it has no handler for: wait until the trap is set
    ok(["run", "-d", "--name", "usr1", "--stop-signal", "USR1", "busybox", "sh", "-c", "trap 'exit 42' USR1; echo ready; while true; do sleep 0.1; done"]);
    await until(() => rr(["logs", "usr1"]).stdout === "ready\n");
    ok(["stop", "usr1"]);
    expect(exitCode("usr1")).toBe(42);
    ok(["rm", "stubborn", "usr1"]);
  });

  test("wait prints the exit code; restart runs it again", () => {
    ok(["run", "-d", "--name", "waiter", "busybox", "sh", "-c", "sleep 0.3; exit 9"]);
    expect(ok(["wait", "waiter"])).toBe("9\n");
    expect(ok(["restart", "waiter"])).toBe("waiter\n");
    expect(status("waiter")).toBe("running");
    expect(ok(["wait", "waiter"])).toBe("9\n");
    ok(["rm", "waiter"]);
  });

  test("--restart on-failure:2 restarts twice, then stays exited", async () => {
    ok(["run", "-d", "--name", "flaky", "--restart", "on-failure:2", "busybox", "sh", "-c", "echo run; exit 3"]);
    await until(() => rr(["logs", "flaky"]).stdout === "run\nrun\nrun\n" && status("flaky") === "exited", 10_000);
    await Bun.sleep(1000); // a fourth run would have come by now (backoff 400 ms)
    expect(rr(["logs", "flaky"]).stdout).toBe("run\nrun\nrun\n");
    expect(record("flaky").restartCount).toBe(2);
    expect(exitCode("flaky")).toBe(3);
    ok(["rm", "flaky"]);
  });

  test("--restart always comes back after the process dies, but not after a user stop", async () => {
    ok(["run", "-d", "--name", "phoenix", "--restart", "always", "busybox", "sleep", "30"]);
    const first = record("phoenix").state.pid!;
    process.kill(first, "SIGKILL");
    await until(() => {
      const s = record("phoenix").state;
      return s.status === "running" && s.pid !== first && status("phoenix") === "running";
    }, 10_000);
    ok(["stop", "-t", "0", "phoenix"]);
    await Bun.sleep(600);
    expect(status("phoenix")).toBe("exited");
    ok(["rm", "phoenix"]);
  });

  test("run -d --rm removes the container when it exits", async () => {
    ok(["run", "-d", "--rm", "--name", "ephemeral", "busybox", "sh", "-c", "sleep 0.2"]);
    await until(() => status("ephemeral") === "gone", 10_000);
  });

  test("a monitor or a container killed with -9 leaves the container Exited, and it starts again", async () => {
    ok(["run", "-d", "--name", "orphan", "busybox", "sleep", "30"]);
    const monitor = record("orphan").state.monitorPid!;
    expect(readFileSync(`/proc/${monitor}/cmdline`, "utf8")).toContain("rr-monitor");
    process.kill(monitor, "SIGKILL");
    await until(() => status("orphan") === "exited");
    ok(["start", "orphan"]);
    expect(status("orphan")).toBe("running");
    process.kill(record("orphan").state.pid!, "SIGKILL");
    await until(() => status("orphan") === "exited");
    expect(exitCode("orphan")).toBe(137);
    ok(["rm", "orphan"]);
  });

  test("20 parallel run -d on one image all succeed", async () => {
    const procs = Array.from({ length: 20 }, (_, i) => {
      const { argv, env } = sb.command(mode, ["run", "-d", "--name", `par${i}`, "busybox", "sleep", "30"]);
      return Bun.spawn(argv, { env, stdout: "pipe", stderr: "pipe" });
    });
    const codes = await Promise.all(procs.map((p) => p.exited));
    const errs = await Promise.all(procs.map((p) => new Response(p.stderr).text()));
    expect(errs.join("")).toBe("");
    expect(codes).toEqual(Array(20).fill(0));
    const running = ok(["ps", "--format", "json"]).split("\n").filter((l) => l.includes('"par'));
    expect(running.length).toBe(20);
    ok(["rm", "-f", ...Array.from({ length: 20 }, (_, i) => `par${i}`)]);
  });

  test("bad inputs: unknown container, ambiguous prefix, taken name, rm of a running container, bad signal", () => {
    for (const cmd of [["start"], ["stop"], ["kill"], ["wait"], ["logs"], ["attach"], ["restart"], ["rm"]]) {
      const r = rr([...cmd, "nosuch"]);
      expect(r.code).toBe(1); // as docker: an unknown container is not an engine failure, even for start
      expect(r.stderr).toContain("No such container: nosuch");
    }
    ok(["create", "--name", "taken", "busybox", "true"]);
    const dup = rr(["create", "--name", "taken", "busybox", "true"]);
    expect(dup.code).toBe(125);
    expect(dup.stderr).toContain('the container name "/taken" is already in use');
    // 17 ids over 16 hex digits: two of them surely share their first digit
    for (let i = 2; i <= 17; i++) ok(["create", "--name", `taken${i}`, "busybox", "true"]);
    const ids = ok(["ps", "-aq", "--no-trunc"]).split("\n").filter(Boolean);
    const prefix = [..."0123456789abcdef"].find((c) => ids.filter((i) => i.startsWith(c)).length > 1)!;
    const amb = rr(["start", prefix]);
    expect(amb.code).toBe(1);
    expect(amb.stderr).toContain(`multiple containers match the id prefix "${prefix}"`);
    expect(ok(["ps", "--format", "{{.Names}}"])).not.toContain("taken"); // nothing was started
    ok(["run", "-d", "--name", "busy", "busybox", "sleep", "30"]);
    const rm = rr(["rm", "busy"]);
    expect(rm.code).toBe(1);
    expect(rm.stderr).toContain("container is running");
    expect(status("busy")).toBe("running");
    const sig = rr(["kill", "-s", "NOPE", "busy"]);
    expect(sig.code).toBe(1);
    expect(sig.stderr).toContain("invalid signal: NOPE");
    expect(status("busy")).toBe("running");
    const att = rr(["attach", "taken"]);
    expect(att.code).toBe(1);
    expect(att.stderr).toContain("You cannot attach to a stopped container");
    const pol = rr(["run", "-d", "--restart", "sometimes", "busybox", "true"]);
    expect(pol.code).toBe(125);
    expect(pol.stderr).toContain('invalid restart policy "sometimes"');
    ok(["rm", "-f", "busy", "taken", ...Array.from({ length: 16 }, (_, i) => `taken${i + 2}`)]);
  });

  test("create --pull never refuses a missing image without touching a registry", () => {
    const r = rr(["create", "--pull", "never", "127.0.0.1:1/nothing:here"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("No such image");
  });
});

const ttySkip = skip ?? (findHelper("tmux") ? undefined : "tmux is not installed");

describe.skipIf(!!ttySkip).each(MODES)(`rr attach through a terminal (%s)${ttySkip ? ` — skipped: ${ttySkip}` : ""}`, (mode: Mode) => {
  let sb: Sandbox;
  beforeAll(() => {
    sb = new Sandbox();
    sb.ok(mode, ["load", "-i", writeFixtures(sb).busybox]);
  });
  afterAll(() => sb?.cleanup());

  test("run -dit, then attach: a live shell; Ctrl-P Ctrl-Q detaches and it keeps running; exit ends it", async () => {
    sb.ok(mode, ["run", "-dit", "--name", "shell", "busybox", "sh"]);
    const attach = rrShellLine(sb, mode, ["attach", "shell"]);
    const term = new TmuxSession(sb.path(`tmux-attach-${mode}`), 100, 30, `${attach}; echo "rr-exit=$?"; sleep 5`);
    try {
      term.keys("echo $((6*7)); stty size");
      await term.waitFor(/^42\s*\n30 100/m);
      term.tmux("send-keys", "-t", "t", "C-p", "C-q");
      await term.waitFor(/rr-exit=0/);
      expect(sb.ok(mode, ["ps", "--format", "{{.Names}} {{.State}}"])).toContain("shell running");
    } finally {
      term.kill();
    }
    const again = new TmuxSession(sb.path(`tmux-attach2-${mode}`), 80, 24, `${attach}; echo "rr-exit=$?"; sleep 5`);
    try {
      again.keys("exit 7");
      await again.waitFor(/rr-exit=7/);
    } finally {
      again.kill();
    }
    sb.ok(mode, ["rm", "shell"]);
  });
});
