/** `rr manifest inspect REF`: the manifest or index as the registry sent it, indented like Docker's. */
import type { Command } from "../command.ts";
import { parseArgs } from "../args.ts";
import { RrError, UsageError } from "../../errors.ts";
import { parseReference } from "../../image/reference.ts";
import { RegistryClient } from "../../image/registry/client.ts";

const command: Command = {
  summary: "Inspect image manifests and manifest lists in a registry",
  usage: `Usage:  rr manifest inspect NAME[:TAG|@DIGEST]

Display an image manifest, or manifest list, from a registry`,
  async run(argv, ctx) {
    const { positionals } = parseArgs(argv, [{ name: "insecure" }], { command: "manifest" });
    const [sub, name, ...rest] = positionals;
    if (sub !== "inspect") throw new UsageError(sub ? `"rr manifest ${sub}" is not supported` : `"rr manifest" requires a subcommand`, { hint: "rr supports 'rr manifest inspect REF'." });
    if (!name || rest.length) throw new UsageError(`"rr manifest inspect" requires exactly 1 argument.`, { hint: "See 'rr manifest --help'." });
    const ref = parseReference(name);
    try {
      const m = await new RegistryClient(ref.registry, { env: ctx.env }).getManifest(ref);
      ctx.out(JSON.stringify(JSON.parse(Buffer.from(m.bytes).toString("utf8")), null, 3));
    } catch (err) {
      throw new RrError(`manifest inspect ${ref.familiar()}`, { cause: err });
    }
    return 0;
  },
};

export default command;
