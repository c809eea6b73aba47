/**
 * What every store command starts with: this invocation's identity and the
 * store opened under it. Stale tmp entries that only the user namespace may
 * delete (trees owned by subordinate ids) are removed there.
 */
import { relative } from "node:path";
import { detectIdentity, type Identity } from "../runtime/identity.ts";
import { openStore, type Store } from "../store/store.ts";
import type { CliContext } from "./context.ts";
import { removeStorePaths } from "./unpack.ts";

export async function openCliStore(ctx: CliContext): Promise<{ store: Store; identity: Identity }> {
  const identity = detectIdentity(ctx.env);
  const store = openStore(ctx.storePaths(), identity);
  if (store.leftovers.length && identity.mode !== "root") {
    const rels = store.leftovers.map((p) => relative(store.root, p)).filter((r) => r.startsWith("tmp/"));
    try {
      await removeStorePaths(ctx, identity, rels);
    } catch {
      // Cleaning up after someone else's crash must not fail this command; the next one retries.
    }
  }
  return { store, identity };
}
