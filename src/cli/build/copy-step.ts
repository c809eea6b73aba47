/**
 * What one COPY or ADD step puts in its layer: the source trees (build
 * context, heredocs, another stage or image, a local archive extracted, a
 * downloaded file), placed under the destination as Docker does, with the
 * destination resolved inside the step's parent image.
 */
import { readFileSync } from "node:fs";
import { join, posix } from "node:path";
import type { AddInstruction, CopyInstruction } from "../../build/dockerfile/instructions.ts";
import type { Identity } from "../../runtime/identity.ts";
import { resolveUser } from "../../runtime/user-lookup.ts";
import type { TarSpec } from "../../image/tar-writer.ts";
import { UsageError } from "../../errors.ts";
import { contextTree, heredocTrees, matchSources, type BuildContext } from "./context-files.ts";
import { readImageText, resolveImageDest } from "./image-dest.ts";
import { imageTrees, type ImageSource } from "./image-sources.ts";
import { tarInside } from "./archive-bytes.ts";
import { archiveTree } from "./archive-tree.ts";
import { isUrl, urlTree } from "./url-source.ts";
import { placeTrees, type SourceTree } from "./source-tree.ts";

export interface CopyStepInput {
  identity: Identity;
  context: BuildContext;
  /** The layer directories of the step's parent image, top first. */
  layers: string[];
  workdir: string;
  /** COPY --from: the stage's or image's files. */
  from?: ImageSource;
}

export interface CopyLayer {
  entries: TarSpec[];
  /** What the cache keys on: everything the entries hold but mtimes. */
  hash: string;
  /** The history's `created_by`, as Docker's classic builder writes it. */
  createdBy: string;
}

type CopyLike = CopyInstruction | AddInstruction;

export async function copyLayer(inst: CopyLike, input: CopyStepInput): Promise<CopyLayer> {
  const { layers } = input;
  // refused rather than ignored: both change what is copied (--link only changes how layers stack, so it is accepted)
  if (inst.exclude.length) throw new UsageError(`${inst.kind} --exclude is not supported yet`, { hint: "Leave the files out with .dockerignore instead." });
  if (inst.kind === "COPY" && inst.parents) throw new UsageError("COPY --parents is not supported yet");
  const dest = posix.resolve(input.workdir || "/", inst.dest);
  const image = resolveImageDest(layers, dest, input.identity);
  const chmod = parseChmod(inst.chmod);
  const owner = inst.chown === undefined ? undefined
    : resolveUser(inst.chown, readImageText(layers, "/etc/passwd") ?? "", readImageText(layers, "/etc/group") ?? "");
  const dirByForm = endsAsDir(inst.dest) || image.type === "dir";

  const trees = await sourceTrees(inst, input, dirByForm);
  if (trees.length > 1 && !endsAsDir(inst.dest)) {
    throw new UsageError(`When using ${inst.kind} with more than one source file, the destination must be a directory and end with a /`);
  }
  const destIsDir = dirByForm || trees.length > 1;
  const { entries, hash } = placeTrees(trees, {
    dest: image.path, destIsDir, chmod,
    owner: owner && { uid: owner.uid, gid: owner.gid },
    imageDirs: image.dirs,
    createdOwner: owner ? { uid: owner.uid, gid: owner.gid } : { uid: 0, gid: 0 },
  });
  const kind = trees.length !== 1 ? "multi" : trees[0]!.items[0]?.type === "dir" ? "dir" : "file";
  return { entries, hash, createdBy: `/bin/sh -c #(nop) ${inst.kind} ${kind}:${hash} in ${dest} ` };
}

/** `dir/`, `.` and `dir/.` name a directory whatever is there. */
const endsAsDir = (dest: string) => /(^|\/)\.?$/.test(dest);

function parseChmod(chmod: string | undefined): number | undefined {
  if (chmod === undefined) return undefined;
  if (!/^[0-7]{3,4}$/.test(chmod)) throw new UsageError(`invalid --chmod "${chmod}": use an octal mode like 755`);
  return parseInt(chmod, 8);
}

async function sourceTrees(inst: CopyLike, input: CopyStepInput, dirByForm: boolean): Promise<SourceTree[]> {
  const what = inst.kind;
  if (inst.kind === "COPY" && inst.from !== undefined) {
    if (inst.sources.some(isUrl)) throw new UsageError("COPY --from does not take URLs");
    return [...await imageTrees(input.identity, input.from!, inst.sources, what), ...heredocTrees(inst.heredocs)];
  }
  const trees: SourceTree[] = [];
  for (const src of inst.sources) {
    if (isUrl(src)) {
      if (inst.kind === "COPY") throw new UsageError(`source can't be a URL for COPY: ${src}`, { hint: "Use ADD to download a file." });
      trees.push(await urlTree(src, { checksum: inst.checksum, needName: dirByForm }));
      continue;
    }
    if (inst.kind === "ADD" && inst.checksum !== undefined) {
      throw new UsageError("checksum can't be specified for non-HTTP(S) sources", { hint: "--checksum verifies downloads only." });
    }
    for (const m of matchSources(input.context, [src], what)) {
      const tree = contextTree(input.context, m);
      if (inst.kind === "ADD" && tree.items[0]?.type === "file") {
        const file = join(input.context.dir, m.resolved);
        const tar = await tarInside(tree.items[0].data ?? readFileSync(file), `${what} failed: archive "${m.written}"`);
        if (tar) {
          trees.push(await archiveTree(tar, tree.name, `${what} failed: archive "${m.written}"`));
          continue;
        }
      }
      trees.push(tree);
    }
  }
  return [...trees, ...heredocTrees(inst.heredocs)];
}
