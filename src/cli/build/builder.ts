/**
 * `rr build` with Docker's classic builder semantics: each instruction of
 * each needed stage makes an image from its parent (RUN and COPY/ADD with a
 * layer, the others with config alone), and the build cache maps (parent,
 * instruction as expanded, build args in effect, copied content) to the
 * image a step made before, so an unchanged step is reused and a changed
 * one rebuilds itself and everything after it.
 */
import { posix } from "node:path";
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
import { imageEntryType, readImageFile } from "../../runtime/image-files.ts";
import { resolveUser } from "../../runtime/user-lookup.ts";
import { tarBytes } from "../../image/tar-writer.ts";
import { addCommittedImage, withStagingDir } from "../commit-container.ts";
import { copyEntries, heredocEntries, matchSources, type BuildContext } from "./context-files.ts";
import { runStep } from "./run-step.ts";
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
  /** Resolves FROM images that are not stages: local, else pulled (always with --pull). */
  baseImage(ref: string, pull: boolean): Promise<ImageRecord>;
  say(line: string): void;
}

interface StageState {
  image: ImageRecord;
  config: BuildConfig;
  /** ARGs declared in this stage, with their values. */
  args: Map<string, string>;
  author?: string;
}

/** The stages the target needs, in file order: its FROM and COPY --from stages, transitively. */
function neededStages(df: Dockerfile, target: Stage, global: Map<string, string>): Stage[] {
  const need = new Set<number>();
  const visit = (s: Stage) => {
    if (need.has(s.index)) return;
    need.add(s.index);
    const refs = [expandInstruction(df, s.from, global).image];
    for (const i of s.instructions) if (i.kind === "COPY" && i.from) refs.push(i.from);
    for (const ref of refs) {
      const r = resolveStageRef(df, s.index, ref, s.from.line);
      if (r.kind === "stage") visit(r.stage);
    }
  };
  visit(target);
  return df.stages.filter((s) => need.has(s.index));
}

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
    const stages = neededStages(df, target, global);
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
    const image = ref.kind === "stage" ? this.results.get(ref.stage.index)!
      : ref.kind === "scratch" ? await scratchImage(this.ctx, this.store, this.identity)
      : await this.opts.baseImage(ref.ref, this.opts.pull);
    this.say(` ---> ${short(image.id)}`);
    const state: StageState = { image, config: { ...(image.config.config ?? {}) }, args: new Map() };
    for (const inst of stage.instructions) {
      this.say(`Step ${++this.step}/${this.total} : ${inst.original}`);
      await this.atLine(inst, () => this.execute(state, inst, global));
    }
    return state;
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

  private argsText(state: StageState): string {
    return [...state.args].map(([k, v]) => `${k}=${v}`).sort().join("\n");
  }

  private async execute(state: StageState, raw: Instruction, global = new Map<string, string>()): Promise<void> {
    const df = this.opts.dockerfile;
    const inst = expandInstruction(df, raw, this.envFor(state));
    if (inst.kind === "ARG") {
      for (const a of inst.args) {
        const value = this.opts.buildArgs[a.name] ?? a.value ?? global.get(a.name);
        if (value !== undefined) state.args.set(a.name, value);
      }
      this.say(` ---> ${short(state.image.id)}`);
      return;
    }
    const text = renderInstruction(inst);
    let key: string;
    let make: () => Promise<ImageRecord>;
    if (inst.kind === "RUN") {
      const script = inst.command.form === "shell" ? runScript(inst.command.script, inst.heredocs) : undefined;
      const argv = inst.command.form === "exec" ? inst.command.args
        : commandArgs({ form: "shell", script: script!.kind === "file" ? script!.heredoc.content : script!.script }, state.config.Shell);
      key = cacheKey([state.image.id, text, this.argsText(state)]);
      make = () => runStep(this.ctx, this.store, this.identity, state.image, state.config, {
        argv, buildArgs: [...state.args].map(([k, v]) => `${k}=${v}`), network: this.opts.network,
        createdBy: argv.join(" "), quiet: this.opts.quiet, say: (l) => this.say(l),
      });
    } else if (inst.kind === "COPY" || inst.kind === "ADD") {
      const layer = this.copyLayer(state, inst);
      key = cacheKey([state.image.id, text, layer.hash, this.argsText(state)]);
      make = () => this.commitLayer(state, layer.entries, `/bin/sh -c #(nop) ${inst.kind} ${inst.kind === "ADD" ? "file" : "file"}:${layer.hash} in ${layer.dest} `);
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
    const hit = this.opts.noCache ? undefined : cachedImage(this.store.root, key);
    const cached = hit ? this.store.images.find(hit) : undefined;
    if (cached) {
      this.say(" ---> Using cache");
      state.image = cached;
    } else {
      state.image = await make();
      rememberImage(this.store.root, key, state.image.id);
    }
    state.config = { ...(state.image.config.config ?? {}) };
    this.say(` ---> ${short(state.image.id)}`);
  }

  private layers(state: StageState): string[] {
    return state.image.layers.map((l) => layerDir(this.store.root, l.diffId)).reverse();
  }

  private copyLayer(state: StageState, inst: Extract<Instruction, { kind: "COPY" | "ADD" }>) {
    if (inst.kind === "COPY" && inst.from) throw new UsageError("COPY --from is not supported yet");
    const layers = this.layers(state);
    const workdir = state.config.WorkingDir || "/";
    const dest = posix.resolve(workdir, inst.dest);
    const sources = matchSources(this.opts.context, inst.sources, inst.kind);
    const destIsDir = inst.dest.endsWith("/") || sources.length + inst.heredocs.length > 1 || imageEntryType(layers, dest) === "dir";
    const owner = inst.chown
      ? resolveUser(inst.chown, readImageFile(layers, "etc/passwd") ?? "", readImageFile(layers, "etc/group") ?? "")
      : { uid: 0, gid: 0 };
    if (inst.chmod !== undefined && !/^[0-7]{3,4}$/.test(inst.chmod)) throw new UsageError(`invalid --chmod "${inst.chmod}": use an octal mode like 755`);
    const opts = {
      dest, destIsDir, owner: { uid: owner.uid, gid: owner.gid },
      chmod: inst.chmod === undefined ? undefined : parseInt(inst.chmod, 8),
      existsInImage: (p: string) => imageEntryType(layers, p) !== undefined,
    };
    const files = copyEntries(this.opts.context, sources, opts);
    const docs = heredocEntries(inst.heredocs, opts);
    return { entries: [...files.entries, ...docs.entries], hash: cacheKey([files.hash, docs.hash]), dest };
  }

  private commitLayer(state: StageState, entries: Parameters<typeof tarBytes>[0], createdBy: string): Promise<ImageRecord> {
    return withStagingDir(this.store, async (dir) => {
      const layer = await this.store.blobs.stage([tarBytes(entries)], { dir, what: "the copied files" });
      return addCommittedImage(this.ctx, this.store, this.identity, {
        base: state.image, config: state.config, layer, names: [], createdBy, author: state.author,
      });
    });
  }
}
