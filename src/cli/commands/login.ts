/**
 * `rr login [-u USER] [-p PASS | --password-stdin] [SERVER]`: checks the
 * credentials against the registry, then stores them like `docker login`
 * (Docker's config.json format, mode 0600) in rr's auth file.
 */
import { spawnSync } from "node:child_process";
import { closeSync, openSync, readSync } from "node:fs";
import type { Command } from "../command.ts";
import { bool, parseArgs, str } from "../args.ts";
import { RrError, UsageError } from "../../errors.ts";
import { RegistryClient } from "../../image/registry/client.ts";
import { storeCredentials } from "../../image/registry/credentials.ts";
import { registryArgument } from "../registry-argument.ts";

const command: Command = {
  summary: "Log in to a registry",
  usage: `Usage:  rr login [OPTIONS] [SERVER]

Log in to a registry (docker.io when SERVER is omitted)

Options:
  -p, --password string   Password
      --password-stdin    Take the password from stdin
  -u, --username string   Username`,
  async run(argv, ctx) {
    const { options, positionals } = parseArgs(argv, [
      { name: "username", short: "u", value: true }, { name: "password", short: "p", value: true }, { name: "password-stdin" },
    ], { command: "login" });
    if (positionals.length > 1) throw new UsageError(`"rr login" accepts at most 1 argument.`, { hint: "See 'rr login --help'." });
    const registry = registryArgument(positionals[0]);
    let username = str(options, "username");
    let password = str(options, "password");
    if (password !== undefined && bool(options, "password-stdin")) throw new UsageError("--password and --password-stdin are mutually exclusive");
    if (bool(options, "password-stdin")) {
      if (username === undefined) throw new UsageError("Must provide --username with --password-stdin");
      password = (await new Response(Bun.stdin.stream()).text()).replace(/\r?\n$/, "");
    } else if (password !== undefined) {
      ctx.warn("Using --password via the CLI is insecure. Use --password-stdin.");
    }
    if (username === undefined || password === undefined) {
      if (!process.stdin.isTTY) {
        throw new UsageError("Cannot perform an interactive login from a non TTY device", { hint: "Use 'rr login -u USER --password-stdin'." });
      }
      username ??= prompt("Username: ", true);
      password ??= prompt("Password: ", false);
    }
    if (!username) throw new UsageError("username is empty");
    if (!password) throw new UsageError("password is empty");
    const client = new RegistryClient(registry, { env: ctx.env, credentials: { username, password } });
    try {
      await client.checkLogin();
    } catch (err) {
      throw new RrError(`login ${registry}`, { cause: err });
    }
    storeCredentials(registry, { username, password }, ctx.env);
    ctx.out("Login Succeeded");
    return 0;
  },
};

/** Reads one line from the terminal; without echo for passwords. */
function prompt(text: string, echo: boolean): string {
  process.stderr.write(text);
  const tty = openSync("/dev/tty", "r");
  if (!echo) spawnSync("stty", ["-echo"], { stdio: [tty, "ignore", "ignore"] });
  try {
    let line = "";
    const buf = Buffer.alloc(1);
    while (readSync(tty, buf, 0, 1, null) === 1 && buf[0] !== 0x0a) line += String.fromCharCode(buf[0]!);
    return line.replace(/\r$/, "");
  } finally {
    if (!echo) { spawnSync("stty", ["echo"], { stdio: [tty, "ignore", "ignore"] }); process.stderr.write("\n"); }
    closeSync(tty);
  }
}

export default command;
