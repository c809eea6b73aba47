/**
 * Commands that act on several containers (`stop a b c`): each is resolved
 * and handled under its lock; a failure is reported and the rest go on;
 * the exit code is 1 if any failed, as Docker's.
 */
import type { CliContext } from "./context.ts";
import { report } from "./report.ts";
import { findContainer, readContainer, withContainerLock, type ContainerRecord } from "../store/container-store.ts";
import { UsageError } from "../errors.ts";

export function requireArgs(name: string, refs: string[]): void {
  if (!refs.length) throw new UsageError(`"rr ${name}" requires at least 1 argument.`, { hint: `See 'rr ${name} --help'.` });
}

/** Runs action for each ref; what it returns is printed (nothing when undefined); a failure is reported and the rest go on. */
export async function eachRef(ctx: CliContext, refs: string[], action: (ref: string) => Promise<string | undefined>): Promise<number> {
  let failed = false;
  for (const ref of refs) {
    try {
      const shown = await action(ref);
      if (shown !== undefined) ctx.out(shown);
    } catch (err) {
      report(err);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}

/** Runs action on each container with its lock held (the record re-read inside it); prints the ref on success. */
export function eachContainer(
  ctx: CliContext, refs: string[], action: (rec: ContainerRecord, root: string) => Promise<void>,
  opts: { print?: boolean } = {},
): Promise<number> {
  const root = ctx.storePaths().root;
  return eachRef(ctx, refs, async (ref) => {
    const { id } = findContainer(root, ref);
    await withContainerLock(root, id, () => action(readContainer(root, id), root));
    return opts.print !== false ? ref : undefined;
  });
}
