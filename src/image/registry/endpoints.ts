/**
 * Where requests for a registry go: `http://` or `https://` (loopback and
 * insecure registries are plain HTTP, as in Docker), Docker Hub's real
 * origin, and for docker.io reads the configured mirrors first.
 */
import { isInsecure, type RegistryConfig } from "./daemon-config.ts";

export interface Endpoint {
  /** `https://registry-1.docker.io`, `http://127.0.0.1:5000`: no trailing slash. */
  base: string;
  mirror: boolean;
}

type Env = Record<string, string | undefined>;

export const DOCKER_HUB = "docker.io";
const DOCKER_HUB_ORIGIN = "https://registry-1.docker.io";

/**
 * Docker Hub's API host. `RR_DOCKER_IO_ORIGIN` replaces it for tests only:
 * the mirror tests need a "docker.io" that is a local registry, and rr's
 * tests never touch the real network.
 */
export function dockerHubOrigin(env: Env, config: RegistryConfig): string {
  const o = env.RR_DOCKER_IO_ORIGIN;
  if (!o) return DOCKER_HUB_ORIGIN;
  if (/^https?:\/\//.test(o)) return o.replace(/\/+$/, "");
  return `${isInsecure(o, config) ? "http" : "https"}://${o}`;
}

export function originEndpoint(registry: string, config: RegistryConfig, env: Env = process.env): Endpoint {
  if (registry === DOCKER_HUB) return { base: dockerHubOrigin(env, config), mirror: false };
  return { base: `${isInsecure(registry, config) ? "http" : "https"}://${registry}`, mirror: false };
}

/** Endpoints for pulls, in the order they are tried: mirrors (docker.io only), then the origin. */
export function readEndpoints(registry: string, config: RegistryConfig, env: Env = process.env): Endpoint[] {
  const mirrors = registry === DOCKER_HUB ? config.registryMirrors.map((m) => ({ base: m, mirror: true })) : [];
  return [...mirrors, originEndpoint(registry, config, env)];
}
