/**
 * Turns the child's {step, errno} into the sentence a user can act on:
 * `rr: mount proc on "/proc": Operation not permitted (step 7 of 23)`.
 */
import { EXIT_CANNOT_INVOKE, EXIT_NOT_FOUND, RrError, strerror } from "../errors.ts";
import type { Plan } from "./plan-encoder.ts";

const SKELETON: Record<number, string> = {
  [-1]: "wait for the parent", [-2]: "make / a slave mount", [-3]: "create the cgroup namespace",
  [-4]: "bring up the loopback interface", [-5]: "set the hostname", [-6]: "set resource limits",
  [-7]: "set up the terminal", [-8]: "pivot_root into the container root", [-9]: "drop capabilities from the bounding set",
  [-10]: "set supplementary groups", [-11]: "set the group id", [-12]: "set the user id",
  [-13]: "set capabilities", [-14]: "set no_new_privs", [-15]: "redirect stdin", [-16]: "change to the working directory",
  [-17]: "exec", [-18]: "fork the command under --init", [-19]: "read the setup plan", [-20]: "close inherited descriptors",
};

export const STEP_EXEC = -17;
export const STEP_CHDIR = -16;

/** An error raised before the command ran; exitCode follows Docker (125/126/127). */
export class ContainerSetupError extends RrError {
  constructor(message: string, readonly exitCode: number, hint?: string) {
    super(message, { code: "SETUP", hint });
  }
}

export function describeSetupFailure(plan: Plan, step: number, errno: number): ContainerSetupError {
  if (step === STEP_EXEC) {
    const cmd = plan.execPath;
    if (errno === 2) {
      const where = cmd.includes("/") ? "no such file or directory" : "executable file not found in $PATH";
      return new ContainerSetupError(`exec: "${cmd}": ${where}`, EXIT_NOT_FOUND);
    }
    return new ContainerSetupError(`exec: "${cmd}": ${strerror(errno).toLowerCase()}`, EXIT_CANNOT_INVOKE);
  }
  if (step === STEP_CHDIR) {
    return new ContainerSetupError(`chdir to "${plan.cwd}": ${strerror(errno)}`, EXIT_CANNOT_INVOKE);
  }
  if (step >= 0 && step < plan.ops.length) {
    const op = plan.ops[step]!;
    return new ContainerSetupError(`${op.what}: ${strerror(errno)} (step ${step + 1} of ${plan.ops.length})`, 125);
  }
  return new ContainerSetupError(`${SKELETON[step] ?? `setup step ${step}`}: ${strerror(errno)}`, 125);
}
