/**
 * The files rr generates for each container and binds over the image's:
 * /etc/hosts, /etc/hostname, /etc/resolv.conf.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface EtcFiles {
  hosts: string;
  hostname: string;
  resolvConf: string;
}

function hostFile(path: string, fallback: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return fallback;
  }
}

export function resolvConf(dns: string[], network: string): string {
  const host = hostFile("/etc/resolv.conf", "");
  if (dns.length) {
    const rest = host.split("\n").filter((l) => /^(search|options)\b/.test(l));
    return [...dns.map((d) => `nameserver ${d}`), ...rest].join("\n") + "\n";
  }
  if (network === "host") return host;
  // a private network namespace cannot reach the host's loopback resolvers
  return host.split("\n").filter((l) => !/^nameserver\s+(127\.|::1)/.test(l)).join("\n");
}

export function hostsFile(hostname: string, addHosts: string[], network: string): string {
  const lines =
    network === "host"
      ? [hostFile("/etc/hosts", "127.0.0.1\tlocalhost\n").trimEnd()]
      : ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback", "fe00::0\tip6-localnet",
         "ff00::0\tip6-mcastprefix", "ff02::1\tip6-allnodes", "ff02::2\tip6-allrouters", `127.0.1.1\t${hostname}`];
  for (const h of addHosts) {
    const i = h.indexOf(":");
    lines.push(`${h.slice(i + 1)}\t${h.slice(0, i)}`);
  }
  return lines.join("\n") + "\n";
}

export function writeEtcFiles(dir: string, opts: { hostname: string; addHosts: string[]; dns: string[]; network: string }): EtcFiles {
  const files = { hosts: join(dir, "hosts"), hostname: join(dir, "hostname"), resolvConf: join(dir, "resolv.conf") };
  writeFileSync(files.hosts, hostsFile(opts.hostname, opts.addHosts, opts.network));
  writeFileSync(files.hostname, opts.hostname + "\n");
  writeFileSync(files.resolvConf, resolvConf(opts.dns, opts.network));
  return files;
}
