/**
 * The files rr generates for each container and binds over the image's:
 * /etc/hosts, /etc/hostname, /etc/resolv.conf.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SLIRP_HOST } from "../network/egress.ts";

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

export interface ResolverOptions {
  dns: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  /** The container shares the host's network (its loopback resolvers work). */
  hostNetwork: boolean;
  /** A resolver reachable when the host has only loopback ones (slirp4netns' 10.0.2.3). */
  fallback?: string;
}

export function resolvConf(o: ResolverOptions): string {
  const host = hostFile("/etc/resolv.conf", "");
  let lines = host.split("\n").filter((l) => l.trim() !== "");
  if (o.dns.length) lines = [...o.dns.map((d) => `nameserver ${d}`), ...lines.filter((l) => !/^nameserver\b/.test(l))];
  else if (!o.hostNetwork) {
    // a private network namespace cannot reach the host's loopback resolvers
    lines = lines.filter((l) => !/^nameserver\s+(127\.|::1)/.test(l));
    if (!lines.some((l) => /^nameserver\b/.test(l)) && o.fallback) lines.unshift(`nameserver ${o.fallback}`);
  }
  if (o.dnsSearch?.length) lines = [...lines.filter((l) => !/^(search|domain)\b/.test(l)), `search ${o.dnsSearch.join(" ")}`];
  if (o.dnsOptions?.length) lines = [...lines.filter((l) => !/^options\b/.test(l)), `options ${o.dnsOptions.join(" ")}`];
  return lines.length ? lines.join("\n") + "\n" : "";
}

/** networkLines: the container's own address and its peers' on rr networks (network-hosts.ts). */
export function hostsFile(hostname: string, addHosts: string[], network: string, networkLines: string[] = []): string {
  const lines =
    network === "host"
      ? [hostFile("/etc/hosts", "127.0.0.1\tlocalhost\n").trimEnd()]
      : ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback", "fe00::0\tip6-localnet",
         "ff00::0\tip6-mcastprefix", "ff02::1\tip6-allnodes", "ff02::2\tip6-allrouters",
         ...(networkLines.length ? networkLines : [`127.0.1.1\t${hostname}`])];
  for (const h of addHosts) {
    const i = h.indexOf(":");
    const ip = h.slice(i + 1);
    // Docker's special name for the host as the container reaches it: slirp4netns maps 10.0.2.2 to its loopback
    lines.push(`${ip === "host-gateway" ? (network === "host" ? "127.0.0.1" : SLIRP_HOST) : ip}\t${h.slice(0, i)}`);
  }
  return lines.join("\n") + "\n";
}

export function writeEtcFiles(dir: string, opts: { hostname: string; hosts: string; resolver: ResolverOptions }): EtcFiles {
  const files = { hosts: join(dir, "hosts"), hostname: join(dir, "hostname"), resolvConf: join(dir, "resolv.conf") };
  writeFileSync(files.hosts, opts.hosts);
  writeFileSync(files.hostname, opts.hostname + "\n");
  writeFileSync(files.resolvConf, resolvConf(opts.resolver));
  return files;
}
