import type { Command } from "../command.ts";
import { parseArgs } from "../args.ts";
import { findContainer } from "../../store/container-store.ts";
import { RrError, UsageError } from "../../errors.ts";

/** A published port as `rr port` prints it: `80/tcp -> 0.0.0.0:8080`. */
interface PortBinding {
  containerPort: number;
  protocol: "tcp" | "udp";
  hostIp: string;
  hostPort: number;
}

const command: Command = {
  summary: "List port mappings or a specific mapping for the container",
  usage: `Usage:  rr port CONTAINER [PRIVATE_PORT[/PROTO]]

List port mappings or a specific mapping for the container`,
  async run(argv, ctx) {
    const { positionals } = parseArgs(argv, [], { command: "port" });
    if (positionals.length < 1 || positionals.length > 2) {
      throw new UsageError(`"rr port" requires 1 or 2 arguments.`, { hint: "See 'rr port --help'." });
    }
    const rec = findContainer(ctx.storePaths().root, positionals[0]!);
    const ports = ((rec as { ports?: PortBinding[] }).ports ?? []);
    const wanted = positionals[1];
    let shown = ports;
    if (wanted !== undefined) {
      const m = /^([0-9]+)(?:\/(tcp|udp))?$/.exec(wanted);
      if (!m) throw new UsageError(`invalid port "${wanted}": use PORT or PORT/tcp|udp`);
      shown = ports.filter((p) => p.containerPort === Number(m[1]) && p.protocol === (m[2] ?? "tcp"));
      if (!shown.length) throw new RrError(`no public port '${wanted}' published for ${rec.name}`);
      for (const p of shown) ctx.out(`${p.hostIp}:${p.hostPort}`);
      return 0;
    }
    for (const p of shown) ctx.out(`${p.containerPort}/${p.protocol} -> ${p.hostIp}:${p.hostPort}`);
    return 0;
  },
};
export default command;
