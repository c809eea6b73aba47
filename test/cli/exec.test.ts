/**
 * `rr exec` from the compiled binary, in each identity mode, into a
 * container that `rr run` keeps running: the container's namespaces, its
 * environment and user, exit codes, stdio, a pty, -d, and the refusals.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chownSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { integrationSkipReason, MODES, Sandbox, type Mode } from "../helpers/rr.ts";
import { writeFixtures } from "../helpers/fixtures.ts";
import { rrShellLine, TmuxSession } from "../helpers/tmux.ts";
import { busyboxLayer, writeDockerArchive } from "../fixtures/images.ts";
import { findHelper } from "../../src/runtime/identity.ts";

const skip = integrationSkipReason();
const noTmux = findHelper("tmux") ? undefined : "tmux is not installed";
const PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

async function until<T>(what: string, fn: () => T | undefined, tries = 100): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = fn();
    if (v !== undefined) return v;
    await Bun.sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe.skipIf(!!skip).each(MODES)(`rr exec (%s)${skip ? ` — skipped: ${skip}` : ""}`, (mode: Mode) => {
  let sb: Sandbox;
  let ctr: Subprocess | undefined;
  const name = `ex-${mode}`;
  const exec = (args: string[], opts: Parameters<Sandbox["rr"]>[2] = {}) => sb.rr(mode, ["exec", ...args], opts);
  const out = (args: string[], opts: Parameters<Sandbox["rr"]>[2] = {}) => {
    const r = exec(args, opts);
    if (r.code !== 0) throw new Error(`rr exec ${args.join(" ")} → ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  const recordPath = () => {
    const dir = join(sb.storeRoot(mode), "containers");
    const path = readdirSync(dir).map((id) => join(dir, id, "container.json")).find((p) => existsSync(p) && JSON.parse(readFileSync(p, "utf8")).name === name);
    if (!path) throw new Error(`no record for ${name}`);
    return path;
  };
  /** Rewrites the container's record as rr would (same owner), for states no command makes yet. */
  const editRecord = (change: (r: Record<string, any>) => void) => {
    const path = recordPath();
    const st = statSync(path);
    const rec = JSON.parse(readFileSync(path, "utf8"));
    change(rec);
    writeFileSync(path, JSON.stringify(rec));
    chownSync(path, st.uid, st.gid);
  };

  beforeAll(async () => {
    sb = new Sandbox();
    const image = sb.path("exec-image.tar");
    writeDockerArchive(image, {
      repoTags: ["exec-test:latest"], layers: [busyboxLayer()],
      config: { Env: [PATH, "IMAGE_VAR=from-image"], WorkingDir: "/srv" },
    });
    sb.ok(mode, ["load", "-i", image]);
    sb.ok(mode, ["load", "-i", writeFixtures(sb).busybox]);
    // root: a memory limit gives the container a cgroup of its own to join
    const limit = mode === "root" ? ["--memory", "256m"] : [];
    const { argv, env } = sb.command(mode, [
      "run", "--rm", "--name", name, "-h", "exec-box", "-e", "FROM_RUN=1", ...limit, "exec-test",
      "sh", "-c", "echo written > /tmp/mark; exec sleep 600",
    ]);
    ctr = Bun.spawn(argv, { env, cwd: sb.dir, stdin: "ignore", stdout: "ignore", stderr: "ignore" });
    await until("the container to run", () => (sb.ok(mode, ["ps"]).includes(name) ? true : undefined));
    await until("the container's first write", () => (exec([name, "test", "-f", "/tmp/mark"]).code === 0 ? true : undefined));
  });
  afterAll(async () => {
    ctr?.kill(9); // rr dies, the container with it (pdeathsig)
    await ctr?.exited;
    sb?.cleanup();
  });

  test("sees the container's hostname", () => {
    expect(out([name, "hostname"])).toBe("exec-box\n");
  });

  test("joins the container's pid namespace: its PID 1 is the container's first process", () => {
    expect(out([name, "cat", "/proc/1/cmdline"]).split("\0")).toEqual(["sleep", "600", ""]);
    expect(Number(out([name, "sh", "-c", "echo $$"]))).toBeGreaterThan(1);
  });

  test("joins the container's mount namespace: sees the file it wrote in /tmp", () => {
    expect(out([name, "cat", "/tmp/mark"])).toBe("written\n");
  });

  test("joins the container's user namespace as its root", () => {
    expect(out([name, "sh", "-c", "id -u; cat /proc/self/uid_map | wc -l"])).toBe(`0\n${mode === "rootless" ? 2 : 1}\n`);
  });

  test("takes the environment of the image and of rr run; -e and --env-file override it", () => {
    const envFile = sb.path(`exec-env-${mode}`);
    writeFileSync(envFile, "# comment\nFROM_FILE=yes\n");
    const show = ["sh", "-c", "echo $IMAGE_VAR $FROM_RUN ${FOO:-none} ${FROM_FILE:-none}"];
    expect(out([name, ...show])).toBe("from-image 1 none none\n");
    expect(out(["-e", "FOO=bar", "-e", "IMAGE_VAR=over", "--env-file", envFile, name, ...show])).toBe("over 1 bar yes\n");
  });

  test("-e KEY copies rr's own value", () => {
    expect(out(["-e", "LANG", name, "sh", "-c", "echo $LANG"])).toBe("C.UTF-8\n");
  });

  test("the working directory is the container's; -w changes it", () => {
    expect(out([name, "pwd"])).toBe("/srv\n");
    expect(out(["-w", "/tmp", name, "pwd"])).toBe("/tmp\n");
  });

  test("-w must be absolute and must exist", () => {
    const rel = exec(["-w", "tmp", name, "pwd"]);
    expect(rel.code).toBe(125);
    expect(rel.stderr).toContain("needs to be an absolute path");
    const missing = exec(["-w", "/nonexistent", name, "pwd"]);
    expect(missing.code).toBe(126);
    expect(missing.stderr).toContain(`chdir to "/nonexistent": No such file or directory`);
  });

  test("-u takes users from the container's /etc/passwd", () => {
    const r = exec(["-u", "nobody", name, "sh", "-c", "id; echo $HOME"]);
    if (mode === "rootless-single") {
      expect(r.code).toBe(125);
      expect(r.stderr).toContain("is not mapped in this rootless-single user namespace");
      return;
    }
    expect(r.stderr).toBe("");
    // HOME follows the user: rr run derived the container's from its own user
    expect(r.stdout).toBe("uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n/nonexistent\n");
    expect(out(["-u", "0:10", name, "id", "-g"])).toBe("10\n");
  });

  test("-u with an unknown name fails with the name", () => {
    const r = exec(["-u", "nosuchuser", name, "true"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("unable to find user nosuchuser");
  });

  test("-u reads the container's files beneath its root: a symlink to a host file or a FIFO is not followed", () => {
    const hostFile = sb.path(`host-passwd-${mode}`);
    writeFileSync(hostFile, "hostonly:x:0:0::/h:/bin/sh\n");
    out([name, "sh", "-c", `cp -a /etc/passwd /etc/passwd.orig && cp -a /etc/group /etc/group.orig && ln -sf ${hostFile} /etc/passwd && rm /etc/group && mkfifo /etc/group`]);
    try {
      const r = exec(["-u", "hostonly", name, "true"]);
      expect(r.code).toBe(125);
      expect(r.stderr).toContain("unable to find user hostonly");
      expect(out(["-u", "0:0", name, "id", "-u"])).toBe("0\n");
    } finally {
      out([name, "sh", "-c", "mv -f /etc/passwd.orig /etc/passwd && rm -f /etc/group && mv -f /etc/group.orig /etc/group"]);
    }
  });

  test("has Docker's default capabilities, all of them with --privileged", () => {
    const caps = (args: string[]) => BigInt("0x" + /CapEff:\s*([0-9a-f]+)/.exec(out([...args, name, "cat", "/proc/self/status"]))![1]);
    const plain = caps([]);
    expect(plain).toBe(0xa80425fbn);
    expect(caps(["--privileged"]) & ~plain).not.toBe(0n);
  });

  test("passes the command's exit code through", () => {
    expect(exec([name, "true"]).code).toBe(0);
    expect(exec([name, "sh", "-c", "exit 3"]).code).toBe(3);
  });

  test("a missing command is 127, a file that cannot be executed 126", () => {
    const missing = exec([name, "nosuchcmd"]);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain(`exec: "nosuchcmd": executable file not found in $PATH`);
    const notExec = exec([name, "/etc/passwd"]);
    expect(notExec.code).toBe(126);
    expect(notExec.stderr).toContain("permission denied");
  });

  test("-i passes stdin through; without it stdin is empty", () => {
    expect(out(["-i", name, "tr", "a-z", "A-Z"], { stdin: "hello\n" })).toBe("HELLO\n");
    expect(out([name, "cat"], { stdin: "ignored\n" })).toBe("");
  });

  test("only fds 0, 1 and 2 reach the command", () => {
    const { argv, env } = sb.command(mode, ["exec", name, "sh", "-c", "ls /proc/$$/fd; true"]);
    const p = Bun.spawnSync(argv, { env, stdio: ["ignore", "pipe", "pipe", "pipe", "pipe"] as never });
    expect(p.stderr.toString()).toBe("");
    expect(p.stdout.toString().split(/\s+/).filter(Boolean)).toEqual(["0", "1", "2"]);
  });

  test("a signal sent to rr reaches the command", async () => {
    const { argv, env } = sb.command(mode, ["exec", name, "sleep", "100"]);
    const p = Bun.spawn(argv, { env, stdin: "ignore", stdout: "ignore", stderr: "pipe" });
    await until("sleep to start", () => (out([name, "ps", "-o", "args"]).includes("sleep 100") ? true : undefined));
    p.kill("SIGTERM");
    expect(await p.exited).toBe(143);
  });

  test("-t gives the command a terminal of the container's devpts", () => {
    const r = exec(["-t", name, "sh", "-c", "tty; echo $TERM"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\/dev\/pts\/\d+\r\nxterm\r\n$/);
  });

  test("-it with stdin not a terminal is refused", () => {
    const r = exec(["-it", name, "sh"], { stdin: "echo hi\n" });
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("the input device is not a TTY");
  });

  test("-d returns at once and leaves the command running in the container", async () => {
    const r = exec(["-d", name, "sh", "-c", "echo started > /tmp/detached; exec sleep 123"]);
    expect(r).toEqual({ code: 0, stdout: "", stderr: "" });
    await until("the detached command", () => (exec([name, "test", "-f", "/tmp/detached"]).code === 0 ? true : undefined));
    expect(out([name, "ps", "-o", "args"])).toContain("sleep 123");
  });

  test("joins the container's cgroup", () => {
    if (mode !== "root") {
      // rootless on this machine's cgroup v1: the container has no cgroup of its own to join
      expect(exec([name, "true"]).code).toBe(0);
      return;
    }
    editRecord((rec) => {
      if (rec.cgroupPaths?.length) return; // recorded by rr itself
      const host = readFileSync(`/proc/${rec.state.pid}/cgroup`, "utf8");
      const memory = /^\d+:memory:(.*)$/m.exec(host)![1]!;
      rec.cgroupPaths = [`/sys/fs/cgroup/memory${memory}`];
    });
    const line = (text: string) => text.split("\n").find((l) => /:memory:/.test(l));
    const mine = line(out([name, "cat", "/proc/self/cgroup"]));
    const first = line(out([name, "cat", "/proc/1/cgroup"]));
    expect(mine).toBeDefined();
    expect(mine).toBe(first);
  });

  test("a paused container is refused", () => {
    editRecord((rec) => { rec.state.status = "paused"; });
    try {
      const r = exec([name, "true"]);
      expect(r.code).toBe(125);
      expect(r.stderr).toBe(`rr: container ${name} is paused, unpause the container before exec\n`);
    } finally {
      editRecord((rec) => { rec.state.status = "running"; });
    }
  });

  test("a stopped container is refused with 125", () => {
    sb.ok(mode, ["run", "--name", `stopped-${mode}`, "busybox", "true"]);
    const r = exec([`stopped-${mode}`, "true"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toStartWith(`rr: container stopped-${mode} is not running\n`);
  });

  test("an unknown container is refused with 125", () => {
    const r = exec(["nosuch", "true"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toBe("rr: No such container: nosuch\n");
  });

  test("a container and a command are both required", () => {
    const r = exec([name]);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain(`"rr exec" requires at least 2 arguments.`);
  });

  test.skipIf(!!noTmux)(`-it gives an interactive shell${noTmux ? ` — skipped: ${noTmux}` : ""}`, async () => {
    const cmd = rrShellLine(sb, mode, ["exec", "-it", name, "sh"]);
    const term = new TmuxSession(sb.path(`tmux-exec-${mode}`), 100, 30, `${cmd}; echo "rr-exit=$?"; sleep 5`);
    try {
      await term.waitFor(/^\/srv # ?$/m);
      term.keys("echo $((6*7)) $(hostname) $(cat /tmp/mark); stty size");
      await term.waitFor(/^42 exec-box written\s*\n30 100/m);
      term.resize(120, 40);
      await Bun.sleep(200);
      term.keys("stty size");
      await term.waitFor(/^40 120/m);
      term.keys("exit 3");
      await term.waitFor(/rr-exit=3/);
    } finally {
      term.kill();
    }
  });
});
