/**
 * `rr run` from the compiled binary, in each identity mode: namespaces,
 * ids, the rootfs and its layers, exit codes, stdio, options, errors.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { lgetxattr } from "../../src/sys/libc.ts";
import { integrationSkipReason, MODES, Sandbox, userIds, type Mode } from "../helpers/rr.ts";
import { writeFixtures } from "../helpers/fixtures.ts";
import { rrShellLine } from "../helpers/tmux.ts";
import { busyboxLayer } from "../fixtures/images.ts";
import { tarBytes } from "../../src/image/tar-writer.ts";

const skip = integrationSkipReason();

describe.skipIf(!!skip).each(MODES)(`rr run (%s)${skip ? ` — skipped: ${skip}` : ""}`, (mode: Mode) => {
  let sb: Sandbox;
  const run = (args: string[], opts: Parameters<Sandbox["rr"]>[2] = {}) => sb.rr(mode, ["run", "--rm", ...args], opts);
  const out = (args: string[], opts: Parameters<Sandbox["rr"]>[2] = {}) => {
    const r = run(args, opts);
    if (r.code !== 0) throw new Error(`rr run ${args.join(" ")} → ${r.code}: ${r.stderr}`);
    return r.stdout;
  };

  beforeAll(() => {
    sb = new Sandbox();
    const f = writeFixtures(sb);
    sb.ok(mode, ["load", "-i", f.busybox]);
    sb.ok(mode, ["load", "-i", f.multi]);
  });
  afterAll(() => sb?.cleanup());

  test("runs a command and passes its output through", () => {
    expect(out(["busybox", "echo", "hi"])).toBe("hi\n");
  });

  test("options end at IMAGE: flags after it belong to the command", () => {
    expect(out(["busybox", "ls", "-d", "/bin"])).toBe("/bin\n");
  });

  test("the command is root of the container and PID 1", () => {
    expect(out(["busybox", "sh", "-c", "id -u; echo $$"])).toBe("0\n1\n");
  });

  test("the uid map matches the identity mode", () => {
    const map = out(["busybox", "cat", "/proc/self/uid_map"]).trim().split("\n").map((l) => l.trim().split(/\s+/).map(Number));
    const uid = userIds()!.uid;
    if (mode === "root") expect(map).toEqual([[0, 0, 4294967295]]);
    if (mode === "rootless") expect(map).toEqual([[0, uid, 1], [1, expect.any(Number), 65536]]);
    if (mode === "rootless-single") expect(map).toEqual([[0, uid, 1]]);
  });

  test("-h sets the hostname and /etc/hostname", () => {
    expect(out(["-h", "box1", "busybox", "sh", "-c", "hostname; cat /etc/hostname"])).toBe("box1\nbox1\n");
  });

  test("--add-host lines appear in /etc/hosts", () => {
    expect(out(["--add-host", "db:10.1.2.3", "busybox", "cat", "/etc/hosts"])).toContain("10.1.2.3\tdb");
  });

  test("masked /proc paths read empty and /proc/sys is read-only", () => {
    expect(out(["busybox", "sh", "-c", "wc -c < /proc/keys; wc -c < /proc/timer_list"])).toBe("0\n0\n");
    const r = run(["busybox", "sh", "-c", "echo 1 > /proc/sys/kernel/domainname"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Read-only file system/);
  });

  test("--privileged keeps /proc unmasked", () => {
    expect(out(["--privileged", "busybox", "sh", "-c", "grep -c ' /proc/keys ' /proc/self/mountinfo || true"])).toBe("0\n");
  });

  test("only fds 0, 1 and 2 reach the container", () => {
    // spawn rr with extra inherited descriptors: none may leak through
    const { argv, env } = sb.command(mode, ["run", "--rm", "busybox", "sh", "-c", "ls /proc/$$/fd; true"]);
    const p = Bun.spawnSync(argv, { env, stdio: ["ignore", "pipe", "pipe", "pipe", "pipe"] as never });
    expect(p.exitCode).toBe(0);
    expect(p.stdout.toString().split(/\s+/).filter(Boolean)).toEqual(["0", "1", "2"]);
  });

  test("whiteouts hide lower files and opaque directories hide lower contents", () => {
    expect(out(["multi", "sh", "-c", "test -e /etc/removed && echo present || echo gone; ls /data/opq"])).toBe("gone\nc\n");
  });

  test("hardlinks, symlinks, setuid bits and empty directories survive unpacking", () => {
    const text = out(["multi", "sh", "-c", "stat -c %h /data/hard; readlink /data/link; stat -c %a /bin/suid; test -d /data/empty && echo dir"]);
    expect(text).toBe("2\n/etc/passwd\n4755\ndir\n");
  });

  test.skipIf(mode !== "root")("a user.* xattr from the image is kept in the unpacked layer (checked in the root store)", () => {
    const layers = readdirSync(`${sb.storeRoot(mode)}/layers`).map((d) => `${sb.storeRoot(mode)}/layers/${d}/data/xattr`);
    const withFile = layers.filter((p) => existsSync(p));
    expect(withFile).toHaveLength(1);
    expect(new TextDecoder().decode(lgetxattr(withFile[0]!, "user.rr.test"))).toBe("hello");
  });

  test("a file owned by uid 1000 in the image keeps its owner where the mapping allows", () => {
    const owner = out(["multi", "stat", "-c", "%u:%g", "/data/owned1000"]).trim();
    expect(owner).toBe(mode === "rootless-single" ? "0:0" : "1000:1000");
  });

  test("exit codes: the command's own, 127 not found, 126 not executable", () => {
    expect(run(["busybox", "sh", "-c", "exit 7"]).code).toBe(7);
    const nf = run(["busybox", "nosuchcmd"]);
    expect(nf.code).toBe(127);
    expect(nf.stderr).toContain('exec: "nosuchcmd": executable file not found in $PATH');
    const ne = run(["busybox", "/etc/passwd"]);
    expect(ne.code).toBe(126);
  });

  test("death by signal is reported as 128+N", () => {
    expect(run(["--init", "busybox", "sh", "-c", "kill -KILL $$"]).code).toBe(137);
  });

  test("SIGTERM sent to rr is forwarded to the container", async () => {
    const { argv, env } = sb.command(mode, ["run", "--rm", "--init", "busybox", "sleep", "30"]);
    const p = Bun.spawn(argv, { env, stdout: "pipe", stderr: "pipe" });
    const root = sb.storeRoot(mode);
    for (let i = 0; i < 100; i++) {
      const ps = sb.rr(mode, ["ps", "-q"]);
      if (ps.stdout.trim()) break;
      await Bun.sleep(50);
    }
    expect(root).toBeTruthy();
    p.kill("SIGTERM");
    // setpriv execs rr, so p.pid is rr itself
    expect(await p.exited).toBe(143);
  });

  test("Ctrl-C (SIGINT to rr) stops the container and --rm still removes it", async () => {
    const { argv, env } = sb.command(mode, ["run", "--rm", "--init", "--name", "interrupted", "busybox", "sleep", "30"]);
    const p = Bun.spawn(argv, { env, stdout: "pipe", stderr: "pipe" });
    for (let i = 0; i < 100 && !sb.rr(mode, ["ps", "-q"]).stdout.trim(); i++) await Bun.sleep(50);
    p.kill("SIGINT");
    expect(await p.exited).toBe(130);
    expect(sb.ok(mode, ["ps", "-a"])).not.toContain("interrupted");
  });

  test("kill -9 of rr leaves a container that ps shows Exited, never a ghost Running", async () => {
    const { argv, env } = sb.command(mode, ["run", "--name", "killed", "busybox", "sleep", "30"]);
    const p = Bun.spawn(argv, { env, stdout: "pipe", stderr: "pipe" });
    for (let i = 0; i < 100 && !sb.rr(mode, ["ps", "-q"]).stdout.trim(); i++) await Bun.sleep(50);
    expect(sb.ok(mode, ["ps"])).toContain("killed");
    p.kill("SIGKILL");
    await p.exited;
    let listing = "";
    for (let i = 0; i < 50; i++) {
      listing = sb.ok(mode, ["ps", "-a"]);
      if (!/Up /.test(listing)) break;
      await Bun.sleep(50);
    }
    expect(listing).toMatch(/Exited \(137\).*killed/);
    sb.ok(mode, ["rm", "killed"]);
    expect(sb.ok(mode, ["run", "--rm", "busybox", "echo", "store ok"])).toBe("store ok\n");
  });

  test("SIGUSR1 reaches a PID 1 that handles it, without --init", async () => {
    const script = 'trap "echo got USR1; exit 0" USR1; echo ready; while :; do sleep 0.05; done';
    const { argv, env } = sb.command(mode, ["run", "--rm", "busybox", "sh", "-c", script]);
    const p = Bun.spawn(argv, { env, stdout: "pipe", stderr: "pipe" });
    const reader = p.stdout.getReader();
    let text = "";
    while (!text.includes("ready")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    p.kill("SIGUSR1");
    expect(await p.exited).toBe(0);
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toContain("got USR1");
  });

  test("stdin is passed through with -i, binary-safe", () => {
    const data = randomBytes(50 * 1024 * 1024);
    const sum = createHash("sha256").update(data).digest("hex");
    expect(out(["-i", "busybox", "sha256sum"], { stdin: data }).split(" ")[0]).toBe(sum);
  });

  test("without -i stdin is not attached", () => {
    expect(out(["busybox", "cat"], { stdin: "should not arrive" })).toBe("");
  });

  test("-t gives the command a terminal", () => {
    const line = rrShellLine(sb, mode, ["run", "--rm", "-t", "busybox", "sh", "-c", "tty; stty size"]);
    const p = Bun.spawnSync(["script", "-qec", `stty rows 33 cols 101; ${line}`, "/dev/null"], { stdin: "ignore" });
    const text = p.stdout.toString().replace(/\r/g, "");
    expect(text).toContain("/dev/pts/0");
    expect(text).toContain("33 101");
  });

  test("-it with a pipe for stdin is refused like Docker does", () => {
    const r = run(["-it", "busybox", "cat"], { stdin: "x" });
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("the input device is not a TTY");
  });

  test("-e, --env-file, -w and HOME", () => {
    const envFile = sb.path(`env-${mode}`);
    writeFileSync(envFile, "# comment\nFROM_FILE=yes\n");
    chmodSync(envFile, 0o644);
    const text = out(["-e", "A=1", "--env-file", envFile, "-w", "/tmp/work", "busybox", "sh", "-c", "echo $A $FROM_FILE $HOME; pwd"]);
    expect(text).toBe("1 yes /root\n/tmp/work\n");
  });

  test("-u resolves names from the image's passwd and group files", () => {
    if (mode === "rootless-single") {
      const r = run(["-u", "app", "busybox", "id"]);
      expect(r.code).toBe(125);
      expect(r.stderr).toContain("user 1000:1000 is not mapped in this rootless-single user namespace");
      return;
    }
    expect(out(["-u", "app", "busybox", "sh", "-c", "id; echo $HOME"])).toBe("uid=1000(app) gid=1000(app) groups=10(wheel),1000(app)\n/home/app\n");
    expect(out(["-u", "1000:10", "busybox", "id", "-g"])).toBe("10\n");
  });

  test("an unknown -u user is a clear error", () => {
    const r = run(["-u", "nobody2", "busybox", "true"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("unable to find user nobody2");
  });

  test("--entrypoint replaces the entrypoint and clears the image's CMD", () => {
    expect(out(["--entrypoint", "echo", "busybox"])).toBe("\n");
    expect(out(["--entrypoint", "echo", "busybox", "a", "b"])).toBe("a b\n");
  });

  test("-v binds a host directory, :ro makes it read-only", () => {
    const dir = sb.path(`vol-${mode}`);
    mkdirSync(dir, { recursive: true });
    if (mode !== "root") chownSync(dir, userIds()!.uid, userIds()!.gid);
    writeFileSync(`${dir}/in.txt`, "from host\n");
    expect(out(["-v", `${dir}:/data`, "busybox", "sh", "-c", "cat /data/in.txt; echo from ctr > /data/out.txt"])).toBe("from host\n");
    expect(readFileSync(`${dir}/out.txt`, "utf8")).toBe("from ctr\n");
    const r = run(["-v", `${dir}:/data:ro`, "busybox", "sh", "-c", "echo x > /data/nope"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Read-only file system/);
  });

  test("--mount type=bind,readonly and type=tmpfs", () => {
    const dir = sb.path(`mnt-${mode}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/f`, "mounted\n");
    const text = out(["--mount", `type=bind,source=${dir},target=/m,readonly`, "--mount", "type=tmpfs,target=/t",
      "busybox", "sh", "-c", "cat /m/f; touch /m/x 2>/dev/null || echo ro; touch /t/x && echo tmpfs-ok"]);
    expect(text).toBe("mounted\nro\ntmpfs-ok\n");
  });

  test("a working directory through /proc/self/fd cannot reach a host directory", () => {
    const r = run(["-w", "/proc/self/fd/3", "busybox", "ls"]);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe("");
  });

  test("a missing -v source is a clear error", () => {
    const r = run(["-v", "/nonexistent/dir:/data", "busybox", "true"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain('invalid mount source "/nonexistent/dir"');
  });

  test("--read-only root, with --tmpfs for scratch space", () => {
    const r = run(["--read-only", "busybox", "touch", "/newfile"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Read-only file system/);
    expect(out(["--read-only", "--tmpfs", "/scratch", "busybox", "sh", "-c", "touch /scratch/x && echo ok"])).toBe("ok\n");
  });

  test("capabilities: Docker's default set, --cap-drop ALL, --privileged", () => {
    const eff = (args: string[]) => out([...args, "busybox", "sh", "-c", "grep CapEff /proc/self/status"]).split(/\s+/)[1];
    expect(eff([])).toBe("00000000a80425fb");
    expect(eff(["--cap-drop", "ALL"])).toBe("0000000000000000");
    expect(eff(["--cap-drop", "ALL", "--cap-add", "NET_RAW"])).toBe("0000000000002000");
    expect(BigInt(`0x${eff(["--privileged"])}`) > 0xa80425fbn).toBe(true);
  });

  test("--security-opt no-new-privileges and --ulimit", () => {
    expect(out(["--security-opt", "no-new-privileges", "busybox", "sh", "-c", "grep NoNewPrivs /proc/self/status"])).toMatch(/NoNewPrivs:\s+1/);
    expect(out(["--ulimit", "nofile=100:200", "busybox", "sh", "-c", "ulimit -n; ulimit -Hn"])).toBe("100\n200\n");
  });

  test("resource limits land in the container's cgroup as root, and rootless warns", async () => {
    if (mode !== "root") {
      const r = run(["--memory", "64m", "busybox", "true"]);
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/warning: --memory ignored/);
      return;
    }
    const own = readFileSync("/proc/self/cgroup", "utf8").split("\n").map((l) => l.split(":"));
    const path = (ctrl: string) => own.find((f) => f[1]?.split(",").includes(ctrl))?.[2] ?? "/";
    const { argv, env } = sb.command(mode, ["run", "--rm", "--memory", "64m", "--pids-limit", "20", "busybox", "sleep", "10"]);
    const p = Bun.spawn(argv, { env, stdout: "pipe", stderr: "pipe" });
    let id = "";
    for (let i = 0; i < 100 && !id; i++) {
      id = sb.rr(mode, ["ps", "-q"]).stdout.trim();
      if (!id) await Bun.sleep(50);
    }
    const memDir = `/sys/fs/cgroup/memory${path("memory")}/rr-${id}`.replace("//", "/");
    const pidsDir = `/sys/fs/cgroup/pids${path("pids")}/rr-${id}`.replace("//", "/");
    expect(readFileSync(`${memDir}/memory.limit_in_bytes`, "utf8").trim()).toBe(String(64 * 1024 * 1024));
    expect(readFileSync(`${pidsDir}/pids.max`, "utf8").trim()).toBe("20");
    p.kill("SIGKILL");
    await p.exited;
    // the container dies with rr (PDEATHSIG); its cgroup is not left behind once it is gone
    for (let i = 0; i < 50 && existsSync(`${memDir}/cgroup.procs`) && readFileSync(`${memDir}/cgroup.procs`, "utf8").trim(); i++) await Bun.sleep(50);
    expect(readFileSync(`${memDir}/cgroup.procs`, "utf8").trim()).toBe("");
    sb.ok(mode, ["rm", id]); // rr was killed before --rm could clean up
  });

  test("--init runs a reaper as PID 1 and the command as its child", () => {
    expect(out(["--init", "busybox", "sh", "-c", "echo $$; cat /proc/1/cmdline | head -c 0"])).toBe("2\n");
  });

  test("--init's PID 1 (a copy of rr that never execs) hides rr's environment and binary", () => {
    const r = run(["--init", "-e", "MARK=x", "busybox", "sh", "-c", "cat /proc/1/environ; readlink /proc/1/exe; echo end"], {
      env: { RR_SECRET_FOR_TEST: "host-only" },
    });
    expect(r.stdout).toBe("end\n");
    expect(r.stdout + r.stderr).not.toContain("host-only");
  });

  test("--network none leaves only loopback, and it is up", () => {
    const text = out(["--network", "none", "busybox", "sh", "-c", "ls /sys/class/net; cat /sys/class/net/lo/operstate"]);
    expect(text.split("\n")[0]).toBe("lo");
  });

  test("mount points that are symlinks in the image resolve inside the root, never on the host", () => {
    const canary = sb.path(`canary-links-${mode}`);
    mkdirSync(canary, { recursive: true });
    chmodSync(canary, 0o777);
    writeFileSync(`${canary}/sentinel`, "untouched\n");
    const image = (name: string, links: [string, string][]) => {
      const drop = new Set(links.flatMap(([p]) => [p, `${p}/`]));
      const layer = busyboxLayer().filter((e) => !drop.has(e.path));
      for (const [path, linkname] of links) layer.push({ type: "symlink", path, linkname });
      const archive = sb.path(`${name}-${mode}.tar`);
      writeFileSync(archive, tarBytes(layer));
      chmodSync(archive, 0o644);
      sb.ok(mode, ["import", archive, `${name}:${mode}`]);
      return `${name}:${mode}`;
    };
    // /dev pointing up and out lands on the image's own /etc: the container still works
    const inside = image("devlink", [["dev", "../../../../../../../etc"]]);
    expect(out([inside, "sh", "-c", "echo x > /dev/null && echo inside"])).toBe("inside\n");
    // /proc pointing at a host path is refused: that path does not exist inside the root
    const outside = image("proclink", [["proc", canary], ["etc/hosts", `${canary}/sentinel`]]);
    const r = run([outside, "true"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain('mount proc on "/proc": No such file or directory');
    expect(readdirSync(canary)).toEqual(["sentinel"]);
    expect(readFileSync(`${canary}/sentinel`, "utf8")).toBe("untouched\n");
    expect(readFileSync("/proc/self/mountinfo", "utf8")).not.toContain(canary);
  });

  test("an unknown image is a clear error with exit 125", () => {
    // --pull never: tests never reach out to Docker Hub
    const r = run(["--pull", "never", "nosuchimage", "true"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("No such image: nosuchimage");
  });

  test("a taken name is refused and the first container stays", () => {
    sb.ok(mode, ["run", "--name", "taken", "busybox", "true"]);
    const r = sb.rr(mode, ["run", "--name", "taken", "busybox", "true"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain('the container name "/taken" is already in use');
    expect(sb.ok(mode, ["ps", "-a"])).toContain("taken");
    expect(sb.ok(mode, ["rm", "taken"])).toBe("taken\n");
    expect(sb.ok(mode, ["ps", "-a", "-q"])).not.toContain("taken");
  });

  test("ps -a shows an exited container and rm removes it", () => {
    sb.rr(mode, ["run", "--name", "leftover", "busybox", "sh", "-c", "exit 3"]);
    const r = sb.rr(mode, ["run", "--name", "leftover2", "busybox", "sh", "-c", "exit 3"]);
    expect(r.code).toBe(3);
    expect(sb.ok(mode, ["ps", "-a"])).toMatch(/leftover2[\s\S]*|Exited \(3\)/);
    expect(sb.ok(mode, ["ps", "-a"])).toContain("Exited (3)");
    sb.ok(mode, ["rm", "leftover", "leftover2"]);
    expect(sb.ok(mode, ["ps", "-a"])).not.toContain("leftover");
  });

  test("--rm removes the container even when the command was not found", () => {
    run(["--name", "gone", "busybox", "nosuchcmd"]);
    expect(sb.ok(mode, ["ps", "-a"])).not.toContain("gone");
  });

  test("ten rr run in parallel on one image all succeed", async () => {
    const before = sb.ok(mode, ["ps", "-a", "-q"]);
    const procs = Array.from({ length: 10 }, (_, i) => {
      const { argv, env } = sb.command(mode, ["run", "--rm", "busybox", "echo", `n${i}`]);
      return Bun.spawn(argv, { env, stdout: "pipe", stderr: "pipe" });
    });
    const outs = await Promise.all(procs.map(async (p) => ({ code: await p.exited, out: await new Response(p.stdout).text() })));
    expect(outs.map((o) => o.code)).toEqual(Array(10).fill(0));
    expect(outs.map((o) => o.out).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `n${i}\n`).sort());
    expect(sb.ok(mode, ["ps", "-a", "-q"])).toBe(before);
  });

  test("rm refuses a running container; rm -f kills and removes it", async () => {
    const { argv, env } = sb.command(mode, ["run", "--name", "busy", "busybox", "sleep", "30"]);
    const p = Bun.spawn(argv, { env, stdout: "pipe", stderr: "pipe" });
    for (let i = 0; i < 100 && !sb.rr(mode, ["ps", "-q"]).stdout.trim(); i++) await Bun.sleep(50);
    const refused = sb.rr(mode, ["rm", "busy"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('cannot remove container "busy": container is running');
    expect(sb.ok(mode, ["ps"])).toContain("busy");
    expect(sb.ok(mode, ["rm", "-f", "busy"])).toBe("busy\n");
    expect(await p.exited).toBe(137);
    expect(sb.ok(mode, ["ps", "-a"])).not.toContain("busy");
  });

  test("rm of an unknown container exits 1 with Docker's message", () => {
    const r = sb.rr(mode, ["rm", "nosuchcontainer"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("No such container: nosuchcontainer");
  });
});
