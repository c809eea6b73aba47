/**
 * `rr build` with Docker's classic builder semantics: each instruction of
 * each needed stage makes an image from its parent (RUN, COPY/ADD and a
 * WORKDIR that makes its directory with a layer, the others with config
 * alone), the base image's ONBUILD triggers run right after FROM, and the
 * build cache maps (parent, instruction as expanded, build args in effect,
 * copied content) to the image a step made before, so an unchanged step is
 * reused and a changed one rebuilds itself and everything after it.
 */
import type { CliContext } from "../context.ts";
import type { Identity } from "../../runtime/identity.ts";
import type { Store } from "../../store/store.ts";
import type { ImageRecord } from "../../store/image-store.ts";
import type { Dockerfile, Instruction, Stage } from "../../build/dockerfile/instructions.ts";
import { expandInstruction } from "../../build/dockerfile/expand-instruction.ts";
import { renderInstruction } from "../../build/dockerfile/render.ts";
import { globalArgs, resolveStageRef, targetStage } from "../../build/dockerfile/stages.ts";
import { runScript } from "../../build/dockerfile/heredoc.ts";
import { applyConfigInstruction, commandArgs, type BuildConfig } from "../../build/apply-config.ts";
import { cacheKey, cachedImage, rememberImage } from "../../store/build-cache.ts";
import { layerDir } from "../../store/layer-store.ts";
import { tarBytes } from "../../image/tar-writer.ts";
import { addCommittedImage, withStagingDir } from "../commit-container.ts";
import type { BuildContext } from "./context-files.ts";
import { copyLayer } from "./copy-step.ts";
import type { ImageSource } from "./image-sources.ts";
import type { BuildInterrupt } from "./interrupt.ts";
import { parseTrigger, triggersLine } from "./onbuild.ts";
import { runStep } from "./run-step.ts";
import { workdirEntries } from "./workdir-step.ts";
import { scratchImage } from "./scratch-image.ts";
import { RrError, UsageError } from "../../errors.ts";

export interface BuildOptions {
  dockerfile: Dockerfile;
  context: BuildContext;
  buildArgs: Record<string, string>;
  target?: string;
  noCache: boolean;
  pull: boolean;
  labels: Record<string, string>;
  quiet: boolean;
  network: "host" | "none";
  /** Set: SIGINT/SIGTERM stop the build between steps and kill a running RUN. */
  interrupt?: BuildInterrupt;
  /** Resolves FROM images that are not stages: local, else pulled (always with --pull). */
  baseImage(ref: string, pull: boolean): Promise<ImageRecord>;
  say(line: string): void;
}

interface StageState {
  /** The stage's index: what COPY --from may name is before it. */
  index: number;
  image: ImageRecord;
  config: BuildConfig;
  /** ARGs declared in this stage, with their values. */
  args: Map<string, string>;
  author?: string;
}

/**
 * The stages the target needs, in file order: its FROM and COPY --from
 * stages, transitively. `--from=$NAME` is expanded as the step will see it:
 * the stage's ARGs (build args, defaults, global values) and ENVs so far.
 */
function neededStages(df: Dockerfile, target: Stage, global: Map<string, string>, buildArgs: Record<string, string>): Stage[] {
  const need = new Set<number>();
  const expand = <T extends Instruction>(i: T, vars: Map<string, string>): T | undefined => {
    try { return expandInstruction(df, i, vars); } catch { return undefined; } // the step itself reports it
  };
  const visit = (s: Stage) => {
    if (need.has(s.index)) return;
    need.add(s.index);
    const refs: [string, number][] = [[expandInstruction(df, s.from, global).image, s.from.line]];
    const vars = new Map<string, string>();
    for (const raw of s.instructions) {
      const i = expand(raw, vars);
      if (i?.kind === "ARG") {
        for (const a of i.args) {
          const value = buildArgs[a.name] ?? a.value ?? global.get(a.name);
          if (value !== undefined) vars.set(a.name, value);
        }
      } else if (i?.kind === "ENV") for (const e of i.env) vars.set(e.key, e.value);
      else if (raw.kind === "COPY" && raw.from) refs.push([(i as typeof raw | undefined)?.from ?? raw.from, raw.line]);
    }
    for (const [ref, line] of refs) {
      const r = resolveStageRef(df, s.index, ref, line);
      if (r.kind === "stage") visit(r.stage);
    }
  };
  visit(target);
  return df.stages.filter((s) => need.has(s.index));
}

const PROXY_ARGS = ["HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY"].flatMap((k) => [k, k.toLowerCase()]);

const short = (id: string) => id.replace(/^sha256:/, "").slice(0, 12);

export class Builder {
  private step = 0;
  private total = 0;
  private results = new Map<number, ImageRecord>();

  constructor(private ctx: CliContext, private store: Store, private identity: Identity, private opts: BuildOptions) {}

  async build(): Promise<ImageRecord> {
    const df = this.opts.dockerfile;
    const global = globalArgs(df, this.opts.buildArgs);
    const target = targetStage(df, this.opts.target);
    const stages = neededStages(df, target, global, this.opts.buildArgs);
    this.total = stages.reduce((n, s) => n + 1 + s.instructions.length, 0) + (Object.keys(this.opts.labels).length ? 1 : 0);
    let last: StageState | undefined;
    for (const stage of stages) {
      last = await this.buildStage(stage, global);
      this.results.set(stage.index, last.image);
    }
    if (Object.keys(this.opts.labels).length) {
      const labels = Object.entries(this.opts.labels).map(([key, value]) => ({ key, value }));
      const inst = { kind: "LABEL", labels, line: 0, endLine: 0, keyword: "LABEL", original: `LABEL ${labels.map((l) => `${l.key}=${JSON.stringify(l.value)}`).join(" ")}` } as Instruction;
      this.say(`Step ${++this.step}/${this.total} : ${inst.original}`);
      await this.execute(last!, inst);
    }
    const declared = new Set([...df.metaArgs, ...stages.flatMap((s) => s.instructions)].flatMap((i) => (i.kind === "ARG" ? i.args.map((a) => a.name) : [])));
    const unused = Object.keys(this.opts.buildArgs).filter((k) => !declared.has(k) && !PROXY_ARGS.includes(k));
    if (unused.length) this.say(`[Warning] One or more build-args [${unused.join(" ")}] were not consumed`);
    return last!.image;
  }

  private say(line: string): void {
    if (!this.opts.quiet) this.opts.say(line);
  }

  private async buildStage(stage: Stage, global: Map<string, string>): Promise<StageState> {
    const df = this.opts.dockerfile;
    const from = expandInstruction(df, stage.from, global);
    this.say(`Step ${++this.step}/${this.total} : ${stage.from.original}`);
    const ref = resolveStageRef(df, stage.index, from.image, stage.from.line);
    let state!: StageState;
    await this.atLine(stage.from, async () => {
      const image = ref.kind === "stage" ? this.results.get(ref.stage.index)!
        : ref.kind === "scratch" ? await scratchImage(this.ctx, this.store, this.identity)
        : await this.opts.baseImage(ref.ref, this.opts.pull);
      state = { index: stage.index, image, config: { ...(image.config.config ?? {}) }, args: new Map() };
      await this.runTriggers(state, stage, global);
    });
    this.say(` ---> ${short(state.image.id)}`);
    for (const inst of stage.instructions) {
      this.say(`Step ${++this.step}/${this.total} : ${inst.original}`);
      await this.atLine(inst, () => this.execute(state, inst, global));
    }
    return state;
  }

  /**
   * The base image's ONBUILD triggers, right after FROM; they are not
   * passed on: the steps they make have no OnBuild in their config.
   */
  private async runTriggers(state: StageState, stage: Stage, global: Map<string, string>): Promise<void> {
    const triggers = state.config.OnBuild ?? [];
    if (!triggers.length) return;
    delete state.config.OnBuild;
    this.say(triggersLine(triggers.length));
    for (const expression of triggers) {
      const inst = parseTrigger(this.opts.dockerfile, stage.from, expression);
      await this.atLine(inst, () => this.execute(state, inst, global, { showId: false }));
    }
  }

  /** Errors of a step name its line, as Docker's do. */
  private async atLine(inst: Instruction, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      if (err instanceof RrError && !/^Dockerfile|^[^ ]+:\d+:/.test(err.message) && inst.line) {
        err.message = `${this.opts.dockerfile.file}:${inst.line}: ${inst.keyword.toUpperCase()}: ${err.message}`;
      }
      throw err;
    }
  }

  /** Variables a step sees: the stage's ARGs, overridden by ENV. */
  private envFor(state: StageState): Map<string, string> {
    const env = new Map(state.args);
    for (const e of state.config.Env ?? []) {
      const eq = e.indexOf("=");
      env.set(eq < 0 ? e : e.slice(0, eq), eq < 0 ? "" : e.slice(eq + 1));
    }
    return env;
  }

  /**
   * Docker's predefined build args: the proxy settings reach RUN without an
   * ARG, and stay out of the history and the cache key.
   */
  private proxyArgs(state: StageState): [string, string][] {
    return PROXY_ARGS.flatMap((k) => (this.opts.buildArgs[k] !== undefined && !state.args.has(k) ? [[k, this.opts.buildArgs[k]!] as [string, string]] : []));
  }

  private argsText(state: StageState): string {
    return [...state.args].map(([k, v]) => `${k}=${v}`).sort().join("\n");
  }

  private async execute(state: StageState, raw: Instruction, global = new Map<string, string>(), opts = { showId: true }): Promise<void> {
    const df = this.opts.dockerfile;
    const inst = expandInstruction(df, raw, this.envFor(state));
    const text = renderInstruction(inst);
    let key: string;
    let make: () => Promise<ImageRecord>;
    if (inst.kind === "ARG") {
      for (const a of inst.args) {
        const value = this.opts.buildArgs[a.name] ?? a.value ?? global.get(a.name);
        if (value !== undefined) state.args.set(a.name, value);
      }
      // both of Docker's builders commit ARG: its own history entry, an empty layer
      key = cacheKey([state.image.id, text, this.argsText(state)]);
      make = () => addCommittedImage(this.ctx, this.store, this.identity, {
        base: state.image, config: state.config, names: [], createdBy: `/bin/sh -c #(nop)  ${text}`, author: state.author,
      });
    } else if (inst.kind === "RUN") {
      const script = inst.command.form === "shell" ? runScript(inst.command.script, inst.heredocs) : undefined;
      const argv = inst.command.form === "exec" ? inst.command.args
        : commandArgs({ form: "shell", script: script!.kind === "file" ? script!.heredoc.content : script!.script }, state.config.Shell);
      key = cacheKey([state.image.id, text, this.argsText(state)]);
      make = () => runStep(this.ctx, this.store, this.identity, state.image, state.config, {
        argv, buildArgs: [...state.args, ...this.proxyArgs(state)].map(([k, v]) => `${k}=${v}`), network: this.opts.network,
        createdBy: argv.join(" "), quiet: this.opts.quiet, say: (l) => this.say(l), interrupt: this.opts.interrupt,
      });
    } else if (inst.kind === "COPY" || inst.kind === "ADD") {
      const layer = await copyLayer(inst, {
        identity: this.identity, context: this.opts.context, layers: this.layers(state), workdir: state.config.WorkingDir || "/",
        from: inst.kind === "COPY" && inst.from !== undefined ? await this.copySource(state, inst.from, inst.line) : undefined,
      });
      key = cacheKey([state.image.id, text, layer.hash, this.argsText(state)]);
      make = () => this.commitLayer(state, state.config, layer.entries, layer.createdBy);
    } else if (inst.kind === "WORKDIR") {
      const next = applyConfigInstruction(state.config, inst)!;
      const entries = workdirEntries(this.layers(state), next.WorkingDir ?? "/", this.identity, next.User);
      key = cacheKey([state.image.id, text, this.argsText(state)]);
      make = () => entries
        ? this.commitLayer(state, next, entries, `/bin/sh -c #(nop) ${text}`)
        : addCommittedImage(this.ctx, this.store, this.identity, { base: state.image, config: next, names: [], createdBy: `/bin/sh -c #(nop)  ${text}`, author: state.author });
      state.config = next;
    } else {
      const next = applyConfigInstruction(state.config, inst);
      if (!next) throw new UsageError(`${inst.kind} is not supported here`);
      if (inst.kind === "MAINTAINER") state.author = inst.maintainer;
      key = cacheKey([state.image.id, text, this.argsText(state)]);
      make = () => addCommittedImage(this.ctx, this.store, this.identity, {
        base: state.image, config: next, names: [], createdBy: `/bin/sh -c #(nop)  ${text}`, author: state.author,
      });
      state.config = next;
    }
    this.opts.interrupt?.check();
    const hit = this.opts.noCache ? undefined : cachedImage(this.store.root, key);
    const cached = hit ? this.store.images.find(hit) : undefined;
    if (cached) {
      this.say(" ---> Using cache");
      state.image = cached;
    } else {
      state.image = await make();
      rememberImage(this.store.root, key, state.image.id);
      this.opts.interrupt?.check();
    }
    state.config = { ...(state.image.config.config ?? {}) };
    if (opts.showId) this.say(` ---> ${short(state.image.id)}`);
  }

  private layers(state: StageState): string[] {
    return state.image.layers.map((l) => layerDir(this.store.root, l.diffId)).reverse();
  }

  /** What `COPY --from=REF` reads: an earlier stage's result, or an image (pulled when missing, as FROM). */
  private async copySource(state: StageState, ref: string, line: number): Promise<ImageSource> {
    const r = resolveStageRef(this.opts.dockerfile, state.index, ref, line);
    let image: ImageRecord;
    let label: string;
    if (r.kind === "stage") {
      const built = this.results.get(r.stage.index);
      if (!built) throw new RrError(`stage ${r.stage.name ?? r.stage.index} was not built before this step needed it`);
      image = built;
      label = `stage ${JSON.stringify(r.stage.name ?? String(r.stage.index))}`;
    } else if (r.kind === "scratch") {
      image = await scratchImage(this.ctx, this.store, this.identity);
      label = "scratch";
    } else {
      image = await this.opts.baseImage(r.ref, this.opts.pull);
      label = `image ${JSON.stringify(r.ref)}`;
    }
    return { label, layers: image.layers.map((l) => layerDir(this.store.root, l.diffId)).reverse() };
  }

  private commitLayer(state: StageState, config: BuildConfig, entries: Parameters<typeof tarBytes>[0], createdBy: string): Promise<ImageRecord> {
    return withStagingDir(this.store, async (dir) => {
      const layer = await this.store.blobs.stage([tarBytes(entries)], { dir, what: "the copied files" });
      return addCommittedImage(this.ctx, this.store, this.identity, {
        base: state.image, config, layer, names: [], createdBy, author: state.author,
      });
    });
  }
}
