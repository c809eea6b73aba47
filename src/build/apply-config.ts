/**
 * What the config-only instructions do to an image's config (ENV, LABEL,
 * CMD, ENTRYPOINT, EXPOSE, USER, WORKDIR, VOLUME, STOPSIGNAL, HEALTHCHECK,
 * SHELL, ONBUILD, MAINTAINER), as Docker's classic builder applies them.
 * Pure: the instruction is already expanded.
 */
import { posix } from "node:path";
import type { ContainerConfig } from "../image/image-config.ts";
import type { CommandLine, Instruction } from "./dockerfile/instructions.ts";
import { exposedPorts } from "./dockerfile/ports.ts";

export const DEFAULT_SHELL = ["/bin/sh", "-c"];

/** The image config plus the builder-only fields Docker keeps in it (Shell, the maintainer as author). */
export interface BuildConfig extends ContainerConfig {
  Shell?: string[];
}

/** A command line as argv: exec form as is, shell form through the SHELL. */
export function commandArgs(cmd: CommandLine, shell: string[] | undefined): string[] {
  return cmd.form === "exec" ? cmd.args : [...(shell ?? DEFAULT_SHELL), cmd.script];
}

function setEnv(env: string[], key: string, value: string): string[] {
  return [...env.filter((e) => e.slice(0, e.indexOf("=") < 0 ? e.length : e.indexOf("=")) !== key), `${key}=${value}`];
}

/** Resolves WORKDIR against the current one, as Docker does (relative paths stack). */
export function workdirOf(current: string | undefined, path: string): string {
  return posix.resolve(current || "/", path);
}

/** The config after one config-only instruction; undefined for instructions that are not config-only. */
export function applyConfigInstruction(config: BuildConfig, inst: Instruction): BuildConfig | undefined {
  switch (inst.kind) {
    case "ENV": {
      let env = config.Env ?? [];
      for (const { key, value } of inst.env) env = setEnv(env, key, value);
      return { ...config, Env: env };
    }
    case "LABEL": {
      const labels = { ...(config.Labels ?? {}) };
      for (const { key, value } of inst.labels) labels[key] = value;
      return { ...config, Labels: labels };
    }
    case "CMD":
      return { ...config, Cmd: commandArgs(inst.command, config.Shell) };
    case "ENTRYPOINT":
      // Docker: a new ENTRYPOINT resets a CMD inherited from the base image
      return { ...config, Entrypoint: commandArgs(inst.command, config.Shell), Cmd: undefined };
    case "EXPOSE": {
      const ports = { ...(config.ExposedPorts ?? {}) };
      for (const p of exposedPorts(inst.ports)) ports[p] = {};
      return { ...config, ExposedPorts: ports };
    }
    case "USER":
      return { ...config, User: inst.user };
    case "WORKDIR":
      return { ...config, WorkingDir: workdirOf(config.WorkingDir, inst.path) };
    case "VOLUME": {
      const volumes = { ...(config.Volumes ?? {}) };
      for (const v of inst.volumes) volumes[v] = {};
      return { ...config, Volumes: volumes };
    }
    case "STOPSIGNAL":
      return { ...config, StopSignal: inst.signal };
    case "HEALTHCHECK": {
      const hc: Record<string, unknown> = { Test: inst.test };
      if (inst.interval !== undefined) hc.Interval = inst.interval;
      if (inst.timeout !== undefined) hc.Timeout = inst.timeout;
      if (inst.startPeriod !== undefined) hc.StartPeriod = inst.startPeriod;
      if (inst.startInterval !== undefined) hc.StartInterval = inst.startInterval;
      if (inst.retries !== undefined) hc.Retries = inst.retries;
      return { ...config, Healthcheck: hc };
    }
    case "SHELL":
      return { ...config, Shell: inst.shell };
    case "ONBUILD":
      return { ...config, OnBuild: [...(config.OnBuild ?? []), inst.expression] };
    case "MAINTAINER":
      return { ...config }; // the author field of the image, set by the builder
    default:
      return undefined;
  }
}
