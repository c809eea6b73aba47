/**
 * What the user asked `rr run` for, as plain data: the CLI fills it from
 * Docker's flags, spec.ts turns it (with the image config) into config.json.
 */
export interface BindMount {
  type: "bind";
  source: string;
  destination: string;
  readonly: boolean;
}

export interface TmpfsMount {
  type: "tmpfs";
  destination: string;
  options: string[];
}

export type UserMount = BindMount | TmpfsMount;

export interface Ulimit {
  name: string;
  soft: number;
  hard: number;
}

export interface ResourceLimits {
  memoryBytes?: number;
  /** --cpus as a fraction of CPUs. */
  cpus?: number;
  cpusetCpus?: string;
  pidsLimit?: number;
}

export interface RunRequest {
  image: string;
  /** Arguments after IMAGE; replace the image's Cmd. */
  command: string[];
  /** undefined: keep the image's; [] : --entrypoint "" clears it. */
  entrypoint?: string[];
  env: string[];
  workdir?: string;
  user?: string;
  hostname?: string;
  addHosts: string[];
  dns: string[];
  name?: string;
  remove: boolean;
  interactive: boolean;
  tty: boolean;
  detach: boolean;
  readOnly: boolean;
  mounts: UserMount[];
  capAdd: string[];
  capDrop: string[];
  privileged: boolean;
  noNewPrivileges: boolean;
  init: boolean;
  /** --network: see network-mode.ts (the first one given). */
  network: string;
  /** --network given again: more networks, joined at create; --ip and --network-alias apply to the first only, as in Docker. */
  extraNetworks?: string[];
  /** --ip on a user-defined network. */
  ip?: string;
  networkAliases: string[];
  /** -p specs as given (ports.ts parses them at each start). */
  publish: string[];
  publishAll: boolean;
  expose: string[];
  dnsSearch: string[];
  dnsOptions: string[];
  resources: ResourceLimits;
  ulimits: Ulimit[];
  labels: Record<string, string>;
  /** --restart: no | on-failure[:N] | always | unless-stopped (detached containers). */
  restart: string;
  /** --stop-signal; else the image's STOPSIGNAL, else SIGTERM. */
  stopSignal?: string;
  /** --stop-timeout in seconds (default 10). */
  stopTimeout?: number;
}
