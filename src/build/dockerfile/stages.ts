import { NotFoundError } from "../../errors.ts";
import { DockerfileError, located, toDockerfileError } from "./errors.ts";
import { lookupEnv, lex, type Env } from "./expand.ts";
import type { ArgInstruction, Dockerfile, Stage } from "./instructions.ts";

/**
 * A stage by name (case-insensitive; Docker lower-cases stage names) or by
 * decimal index. With `before`, only stages earlier than that index count,
 * which is what FROM and COPY --from may name.
 */
export function findStage(df: Dockerfile, ref: string, before = df.stages.length): Stage | undefined {
  const name = ref.toLowerCase();
  const byName = df.stages.find((s) => s.index < before && s.name === name);
  if (byName) return byName;
  if (/^\d+$/.test(ref)) {
    const index = Number(ref);
    if (index < before) return df.stages[index];
  }
  return undefined;
}

/** The stage `--target` names, or the last stage when there is no target. */
export function targetStage(df: Dockerfile, target?: string): Stage {
  if (target === undefined || target === "") return df.stages[df.stages.length - 1];
  const stage = df.stages.find((s) => s.name === target.toLowerCase());
  if (stage) return stage;
  const names = df.stages.flatMap((s) => (s.name ? [s.name] : []));
  throw new NotFoundError(`target stage "${target}" could not be found`, {
    hint: names.length > 0 ? `Stages in ${df.file}: ${names.join(", ")}.` : `No stage in ${df.file} has a name (FROM IMAGE AS NAME).`,
  });
}

export type StageRef = { kind: "stage"; stage: Stage } | { kind: "scratch" } | { kind: "image"; ref: string };

/**
 * What an (already expanded) FROM image or COPY --from value names, seen
 * from stage `current`: an earlier stage, the empty `scratch`, or an image.
 * A number that is not an earlier stage is an error, as in Docker; `line`
 * (the instruction's) puts it in the message.
 */
export function resolveStageRef(df: Dockerfile, current: number, ref: string, line = 0): StageRef {
  const stage = findStage(df, ref, current);
  if (stage) return { kind: "stage", stage };
  if (/^\d+$/.test(ref)) {
    throw new DockerfileError({ file: df.file, line }, `invalid from flag value ${ref}: refers to current or later build stage`, {
      hint: current === 0 ? "The first stage has no earlier stage to copy from." : `Stage ${current} can use stages 0 to ${current - 1}.`,
    });
  }
  if (ref.toLowerCase() === "scratch") return { kind: "scratch" };
  return { kind: "image", ref };
}

/**
 * The values of the ARGs declared before the first FROM, for expanding FROM
 * lines: a `--build-arg` wins over the default, a default may use the
 * global args above it, an ARG with neither stays unset. `predefined`
 * (TARGETPLATFORM and friends) is visible to defaults but only declared
 * names end up in the result, as in Docker.
 */
export function globalArgs(df: Dockerfile, buildArgs: Env, predefined: Env = {}): Map<string, string> {
  const scope = new Map<string, string>(entries(predefined));
  const values = new Map<string, string>();
  const expand = (inst: ArgInstruction, text: string) => {
    try {
      return located({ line: inst.line, instruction: "ARG" }, () => lex(text, scope, { escape: df.escape }).text);
    } catch (err) {
      throw toDockerfileError(err, df.file);
    }
  };
  for (const inst of df.metaArgs) {
    for (const arg of inst.args) {
      const given = lookupEnv(buildArgs, arg.name);
      const value = given ?? (arg.value === undefined ? undefined : expand(inst, arg.value));
      if (value === undefined) continue;
      scope.set(arg.name, value);
      values.set(arg.name, value);
    }
  }
  return values;
}

function entries(env: Env): [string, string][] {
  return env instanceof Map ? [...env] : Object.entries(env);
}
