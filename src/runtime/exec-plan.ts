/**
 * The setup plan of a process joining a running container (`rr exec`): no
 * mounts and no pivot (the container's mount namespace already has its
 * root), only who the process is and what it may do. Defaults come from the
 * container's config.json, as Docker takes them from the container's config.
 */
import type { Plan, PlanFlag, PlanOp } from "./plan-encoder.ts";
import { rlimits } from "./plan-builder.ts";
import type { RuntimeSpec } from "./spec.ts";
import { mergeEnv } from "./spec.ts";
import { CAPABILITIES, capMask, lastCap, ownBoundingSet } from "./capabilities.ts";
import type { Identity } from "./identity.ts";
import { RrError } from "../errors.ts";

export interface ExecOptions {
  command: string[];
  interactive: boolean;
  tty: boolean;
  detach: boolean;
  /** KEY=VALUE entries that override the container's environment. */
  env: string[];
  /** `-u user[:group]`; the container's user otherwise. */
  user?: string;
  /** `-w`: absolute; the container's working directory otherwise. */
  workdir?: string;
  privileged: boolean;
}

export interface ExecUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  /** Set when -u chose the user: its home, for HOME when the container does not set one. */
  home?: string;
}

export interface ExecPlanContext {
  identity: Identity;
  user: ExecUser;
  /** Whether the image or `rr run -e` set HOME (else it was derived from the run's user). */
  containerSetsHome: boolean;
  tty?: { rows: number; cols: number };
}

// plan-builder.ts keeps the same table for `rr run`
export function execEnv(spec: RuntimeSpec, opts: ExecOptions, ctx: ExecPlanContext): string[] {
  let env = [...spec.process.env];
  // HOME that `rr run` derived from its user follows -u, as in Docker
  if (ctx.user.home !== undefined && !ctx.containerSetsHome) env = mergeEnv(env, [`HOME=${ctx.user.home}`]);
  if (opts.tty && !env.some((e) => e.startsWith("TERM="))) env.push("TERM=xterm");
  return mergeEnv(env, opts.env);
}

export function buildExecPlan(spec: RuntimeSpec, opts: ExecOptions, ctx: ExecPlanContext): Plan {
  const cmd = opts.command;
  if (!cmd.length || cmd[0] === "") throw new RrError("no command specified for exec");
  const flags: PlanFlag[] = ["setIds", "setCaps"];
  const userns = spec.linux.namespaces.some((n) => n.type === "user");
  // a single-id map denies setgroups: keep the groups the process has, as `rr run` does
  const canSetGroups = !userns || ctx.identity.mode === "rootless";
  if (canSetGroups) flags.push("setGroups");
  if (spec.process.noNewPrivileges) flags.push("noNewPrivs");
  const tty = opts.tty && !opts.detach;
  const ops: PlanOp[] = [];
  if (tty) {
    // "/" is the container's root once its mount namespace is joined: the pty comes from its devpts
    ops.push({ type: "open-root", source: "/", what: "open the container's root" });
    flags.push("tty");
  } else {
    flags.push("setsid"); // rr gets the terminal's signals and forwards them, once
  }
  if (!opts.interactive && !opts.detach) flags.push("stdinNull");
  if (!opts.detach) flags.push("pdeathsig");

  const allowed = ownBoundingSet();
  const last = lastCap();
  const mask = (names: string[]) => capMask(names) & allowed;
  const all = capMask(CAPABILITIES.filter((_, i) => i <= last) as unknown as string[]) & allowed;
  const c = spec.process.capabilities;
  const env = execEnv(spec, opts, ctx);
  return {
    flags,
    ops,
    argv: cmd,
    env,
    execPath: cmd[0]!,
    searchPath: env.find((e) => e.startsWith("PATH="))?.slice(5),
    cwd: opts.workdir ?? (spec.process.cwd || "/"),
    uid: ctx.user.uid,
    gid: ctx.user.gid,
    groups: canSetGroups ? ctx.user.additionalGids : [],
    rlimits: rlimits(spec),
    capLastCap: last,
    caps: opts.privileged
      ? { bounding: all, effective: all, permitted: all, inheritable: 0n, ambient: 0n }
      : { bounding: mask(c.bounding), effective: mask(c.effective), permitted: mask(c.permitted), inheritable: 0n, ambient: 0n },
    tty: tty ? ctx.tty ?? { rows: 24, cols: 80 } : undefined,
  };
}
