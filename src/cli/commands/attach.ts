import type { Command } from "../command.ts";
import { bool, parseArgs, str } from "../args.ts";
import { connectAttach, pumpAttach } from "../attach-client.ts";
import { containerDir, findContainer } from "../../store/container-store.ts";
import { storedRequest } from "../../runtime/container-prepare.ts";
import { waitForStop } from "../../runtime/container-stop.ts";
import { ConflictError, UsageError } from "../../errors.ts";

const command: Command = {
  summary: "Attach local standard input, output, and error streams to a running container",
  usage: `Usage:  rr attach [OPTIONS] CONTAINER

Attach local standard input, output, and error streams to a running container

Options:
      --no-stdin    Do not attach STDIN
      --sig-proxy   Proxy all received signals to the process (default true)`,
  async run(argv, ctx) {
    const { options: o, positionals } = parseArgs(argv, [
      { name: "no-stdin" }, { name: "sig-proxy", value: true }, { name: "detach-keys", value: true },
    ], { command: "attach" });
    if (positionals.length !== 1) throw new UsageError(`"rr attach" requires exactly 1 argument.`, { hint: "See 'rr attach --help'." });
    const root = ctx.storePaths().root;
    const rec = findContainer(root, positionals[0]!);
    if (rec.state.status !== "running" && rec.state.status !== "paused") {
      throw new ConflictError(`You cannot attach to a stopped container, start it first`);
    }
    const req = storedRequest(rec);
    const sock = await connectAttach(containerDir(root, rec.id));
    const how = await pumpAttach(sock, {
      stdin: req.interactive && !bool(o, "no-stdin"),
      tty: req.tty,
      proxySignalsTo: str(o, "sig-proxy") === "false" ? undefined : rec.state.pid,
    });
    if (how === "detached") return 0;
    return waitForStop(root, rec.id);
  },
};
export default command;
