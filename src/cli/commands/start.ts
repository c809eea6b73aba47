import type { Command } from "../command.ts";
import type { Socket } from "node:net";
import { bool, parseArgs } from "../args.ts";
import { eachContainer, requireArgs } from "../each-container.ts";
import { openCliStore } from "../open-store.ts";
import { runEnvironment } from "../run-environment.ts";
import { connectAttach, pumpAttach } from "../attach-client.ts";
import { startContainer } from "../../runtime/container-start.ts";
import { storedRequest } from "../../runtime/container-prepare.ts";
import { waitForStop } from "../../runtime/container-stop.ts";
import { containerDir } from "../../store/container-store.ts";
import { EXIT_RR_FAILED, UsageError } from "../../errors.ts";

const command: Command = {
  summary: "Start one or more stopped containers",
  usage: `Usage:  rr start [OPTIONS] CONTAINER [CONTAINER...]

Start one or more stopped containers

Options:
  -a, --attach        Attach STDOUT/STDERR and forward signals
  -i, --interactive   Attach container's STDIN`,
  failureCode: EXIT_RR_FAILED,
  async run(argv, ctx) {
    const { options: o, positionals } = parseArgs(argv, [{ name: "attach", short: "a" }, { name: "interactive", short: "i" }], { command: "start" });
    requireArgs("start", positionals);
    const attach = bool(o, "attach") || bool(o, "interactive");
    if (attach && positionals.length > 1) throw new UsageError("you cannot start and attach multiple containers at once");
    const { store, identity } = await openCliStore(ctx);
    const env = runEnvironment(ctx, store.root, identity);
    let sock: Socket | undefined;
    let started: { id: string; pid: number; tty: boolean } | undefined;
    const code = await eachContainer(ctx, positionals, async (rec, root) => {
      if (rec.state.status === "running" || rec.state.status === "paused") return;
      const dir = containerDir(root, rec.id);
      const after = await startContainer(rec, env, attach ? { attach: async () => { sock = await connectAttach(dir); } } : {});
      started = { id: rec.id, pid: after.state.pid!, tty: storedRequest(rec).tty };
    }, { print: !attach });
    if (!attach || code !== 0) return code;
    if (!sock || !started) return 0; // it was already running: nothing to attach to here
    const how = await pumpAttach(sock, { stdin: bool(o, "interactive"), tty: started.tty, proxySignalsTo: started.pid });
    return how === "detached" ? 0 : waitForStop(store.root, started.id);
  },
};
export default command;
