/**
 * Hidden: `rr __unpack-layers --root DIR --mode MODE --owner-pid PID
 * BLOB DIFFID MEDIATYPE…`. rr runs this in itself as root of its user
 * namespace (src/cli/unpack.ts), so layer files get their mapped owners.
 * It never opens the store: inside the namespace the identity looks like
 * root and would not match the store's.
 */
import type { Command } from "../command.ts";
import { parseArgs, str } from "../args.ts";
import { UsageError } from "../../errors.ts";
import type { IdentityMode } from "../../runtime/identity.ts";
import { unpackLayersHere } from "../unpack.ts";

const MODES: IdentityMode[] = ["root", "rootless", "rootless-single"];

const command: Command = {
  summary: "Unpack image layers (internal)",
  usage: "Usage:  rr __unpack-layers --root DIR --mode MODE [--owner-pid PID] BLOB DIFFID MEDIATYPE...",
  async run(argv, ctx) {
    const { options, positionals } = parseArgs(argv, [
      { name: "root", value: true }, { name: "mode", value: true }, { name: "owner-pid", value: true },
    ], { command: "__unpack-layers" });
    const root = str(options, "root");
    const mode = str(options, "mode") as IdentityMode | undefined;
    if (!root || !mode || !MODES.includes(mode)) throw new UsageError("__unpack-layers needs --root and --mode");
    if (positionals.length % 3 !== 0) throw new UsageError("__unpack-layers takes BLOB DIFFID MEDIATYPE triples");
    const layers = [];
    for (let i = 0; i < positionals.length; i += 3) {
      layers.push({ blobDigest: positionals[i]!, diffId: positionals[i + 1]!, mediaType: positionals[i + 2]! });
    }
    const ownerPid = Number(str(options, "owner-pid") ?? process.pid);
    await unpackLayersHere(root, layers, mode, (m) => ctx.warn(m), ownerPid);
    return 0;
  },
};

export default command;
