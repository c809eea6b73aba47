/** `rr login`/`logout`'s SERVER: `https://host:5000/v1/` or `host:5000`, docker.io when omitted. */
import { UsageError } from "../errors.ts";

export function registryArgument(arg: string | undefined): string {
  if (arg === undefined || arg === "") return "docker.io";
  const host = arg.replace(/^https?:\/\//, "").split("/")[0]!;
  if (!/^[A-Za-z0-9.-]+(?::\d+)?$|^\[[0-9a-fA-F:]+\](?::\d+)?$/.test(host)) throw new UsageError(`invalid registry "${arg}"`);
  return ["index.docker.io", "registry-1.docker.io"].includes(host) ? "docker.io" : host;
}
