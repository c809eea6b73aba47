import { UsageError } from "../../errors.ts";

const PROTOCOLS = new Set(["tcp", "udp", "sctp"]);

/**
 * EXPOSE's (expanded) words as the keys of an image's ExposedPorts:
 * `80` → `80/tcp`, `53/UDP` → `53/udp`, a range gives one key per port.
 * Duplicates are dropped; the order is as written.
 */
export function exposedPorts(words: readonly string[]): string[] {
  const out = new Set<string>();
  for (const word of words) {
    const slash = word.indexOf("/");
    const ports = slash < 0 ? word : word.slice(0, slash);
    const proto = slash < 0 ? "tcp" : word.slice(slash + 1).toLowerCase();
    if (!PROTOCOLS.has(proto)) throw new UsageError(`invalid proto: ${word.slice(slash + 1)}`, { hint: "EXPOSE takes PORT[/tcp|/udp|/sctp]." });
    const m = /^(\d+)(?:-(\d+))?$/.exec(ports);
    const start = m ? Number(m[1]) : NaN;
    const end = m?.[2] !== undefined ? Number(m[2]) : start;
    if (!m || start > 65535 || end > 65535 || end < start) {
      throw new UsageError(`invalid containerPort: ${ports}`, { hint: "EXPOSE takes a port number or a range like 8000-8010." });
    }
    for (let p = start; p <= end; p++) out.add(`${p}/${proto}`);
  }
  return [...out];
}
