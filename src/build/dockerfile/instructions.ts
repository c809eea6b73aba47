/**
 * Typed Dockerfile instructions. Fields that Docker substitutes variables in
 * (ADD COPY ENV EXPOSE FROM LABEL STOPSIGNAL USER VOLUME WORKDIR ARG) hold
 * the words as written — quotes, escapes and `$VAR` still in — until
 * expandInstruction() runs; the builder calls it for every instruction, even
 * with no variables, because it is also what removes the quotes.
 */
import type { Directives, EscapeChar } from "./directives.ts";
import type { Heredoc } from "./heredoc.ts";

interface Base {
  /** 1-based line of the keyword. */
  line: number;
  /** Last line, continuation lines and heredoc bodies included. */
  endLine: number;
  /** The keyword as written (`run`, `Run`, `RUN`). */
  keyword: string;
  /**
   * The instruction as written, continuation lines joined and comment lines
   * dropped (Docker's `Original`, what `docker history` shows). Heredoc
   * bodies are not in it; they are in `heredocs`.
   */
  original: string;
}

/** Exec form (`["a","b"]`, run directly) or shell form (text for the SHELL, `/bin/sh -c` by default). */
export type CommandLine = { form: "exec"; args: string[] } | { form: "shell"; script: string };

export interface KeyValue {
  key: string;
  value: string;
}

export interface FromInstruction extends Base {
  kind: "FROM";
  /** Image reference, `scratch`, or an earlier stage's name. */
  image: string;
  /** Stage name from `AS name`, lower-cased as Docker does. */
  name?: string;
  platform?: string;
}

export interface RunInstruction extends Base {
  kind: "RUN";
  command: CommandLine;
  /** Bodies of `<<EOF` heredocs on the line, in order (shell form only). */
  heredocs: Heredoc[];
  /** `--mount=` values as written, one per flag. */
  mounts: string[];
  network?: string;
  security?: string;
}

export interface CmdInstruction extends Base {
  kind: "CMD";
  command: CommandLine;
}

export interface EntrypointInstruction extends Base {
  kind: "ENTRYPOINT";
  command: CommandLine;
}

export interface ShellInstruction extends Base {
  kind: "SHELL";
  shell: string[];
}

export interface LabelInstruction extends Base {
  kind: "LABEL";
  labels: KeyValue[];
}

export interface EnvInstruction extends Base {
  kind: "ENV";
  env: KeyValue[];
}

export interface MaintainerInstruction extends Base {
  kind: "MAINTAINER";
  maintainer: string;
}

export interface ExposeInstruction extends Base {
  kind: "EXPOSE";
  /** Words such as `80`, `53/udp`, `8000-8010/tcp`, `$PORT`; see exposedPorts(). */
  ports: string[];
}

interface CopyBase extends Base {
  /** Context (or stage/image) paths; the JSON form allows spaces in them. */
  sources: string[];
  /** `<<name` sources: files made from the heredoc body, named after the delimiter. */
  heredocs: Heredoc[];
  dest: string;
  chown?: string;
  chmod?: string;
  link: boolean;
  exclude: string[];
  /** Written in the JSON form. */
  json: boolean;
}

export interface CopyInstruction extends CopyBase {
  kind: "COPY";
  /** `--from=`: a stage name or index, or an image. */
  from?: string;
  parents: boolean;
}

export interface AddInstruction extends CopyBase {
  kind: "ADD";
  keepGitDir: boolean;
  checksum?: string;
}

export interface VolumeInstruction extends Base {
  kind: "VOLUME";
  volumes: string[];
}

export interface UserInstruction extends Base {
  kind: "USER";
  /** `name`, `uid`, `name:group`, `uid:gid`. */
  user: string;
}

export interface WorkdirInstruction extends Base {
  kind: "WORKDIR";
  path: string;
}

export interface ArgDefinition {
  name: string;
  /** Undefined for `ARG name` (no default), "" for `ARG name=`. */
  value?: string;
}

export interface ArgInstruction extends Base {
  kind: "ARG";
  args: ArgDefinition[];
}

export interface OnbuildInstruction extends Base {
  kind: "ONBUILD";
  /** The trigger parsed (never ONBUILD, FROM or MAINTAINER). */
  trigger: Instruction;
  /** The trigger's text as the image config's OnBuild list stores it, heredoc bodies included. */
  expression: string;
}

export interface StopsignalInstruction extends Base {
  kind: "STOPSIGNAL";
  signal: string;
}

export interface HealthcheckInstruction extends Base {
  kind: "HEALTHCHECK";
  /** Docker's Healthcheck.Test: `["NONE"]`, `["CMD", …args]` or `["CMD-SHELL", script]`. */
  test: string[];
  /** Durations in nanoseconds, as the image config stores them; undefined = not given. */
  interval?: number;
  timeout?: number;
  startPeriod?: number;
  startInterval?: number;
  retries?: number;
}

export type Instruction =
  | FromInstruction | RunInstruction | CmdInstruction | EntrypointInstruction | ShellInstruction
  | LabelInstruction | EnvInstruction | MaintainerInstruction | ExposeInstruction | CopyInstruction
  | AddInstruction | VolumeInstruction | UserInstruction | WorkdirInstruction | ArgInstruction
  | OnbuildInstruction | StopsignalInstruction | HealthcheckInstruction;

export type InstructionKind = Instruction["kind"];

/** An instruction's own fields, without the place and text every instruction has. */
export type InstructionFields = {
  [K in InstructionKind]: Omit<Extract<Instruction, { kind: K }>, keyof Base>;
}[InstructionKind];

export const INSTRUCTION_KINDS: readonly InstructionKind[] = [
  "FROM", "RUN", "CMD", "ENTRYPOINT", "SHELL", "LABEL", "ENV", "MAINTAINER", "EXPOSE", "COPY",
  "ADD", "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK",
];

/** One FROM and what follows it up to the next FROM. */
export interface Stage {
  /** 0-based position, what `COPY --from=0` names. */
  index: number;
  /** Lower-cased `AS` name. */
  name?: string;
  from: FromInstruction;
  /** The stage's instructions after its FROM. */
  instructions: Instruction[];
}

export interface ParseWarning {
  line: number;
  message: string;
}

export interface Dockerfile {
  /** The name errors use (`Dockerfile`, or what `-f` gave). */
  file: string;
  directives: Directives;
  escape: EscapeChar;
  /** ARGs before the first FROM: usable in FROM lines, and by stages that re-declare them. */
  metaArgs: ArgInstruction[];
  stages: Stage[];
  warnings: ParseWarning[];
}
