/**
 * Runs link-setup calls for test/network/link-setup.test.ts, as whichever
 * user runs it (the test starts it as rrtest for rootless). argv[2]: JSON
 * {calls: [{fn, holder: {user?, net} pids, container?: pids, arg}]}; prints
 * one JSON result per call: {ok} or {error}.
 */
import { openSync } from "node:fs";
import { attachEndpoint, connectToBridge, detachEndpoint, ensureBridge, setupHolderNat, type NsFds } from "../../src/network/link-setup.ts";

interface Pids { user?: number; net: number }
interface Call { fn: string; holder: Pids; container?: Pids; arg: unknown }

const fds = (p: Pids): NsFds => ({
  user: p.user === undefined ? undefined : openSync(`/proc/${p.user}/ns/user`, "r"),
  net: openSync(`/proc/${p.net}/ns/net`, "r"),
});

const { calls } = JSON.parse(process.argv[2]!) as { calls: Call[] };
const results = calls.map((c) => {
  try {
    const holder = fds(c.holder);
    if (c.fn === "setupHolderNat") setupHolderNat(holder, c.arg as string);
    else if (c.fn === "ensureBridge") ensureBridge(holder, c.arg as Parameters<typeof ensureBridge>[1]);
    else if (c.fn === "attachEndpoint") attachEndpoint(holder, fds(c.container!), c.arg as Parameters<typeof attachEndpoint>[2]);
    else if (c.fn === "connectToBridge") connectToBridge(holder, fds(c.container!), ...(c.arg as [Parameters<typeof connectToBridge>[2], Parameters<typeof connectToBridge>[3]]));
    else if (c.fn === "detachEndpoint") detachEndpoint(holder, c.arg as string);
    else throw new Error(`unknown call ${c.fn}`);
    return { ok: true };
  } catch (e) {
    return { error: (e as Error).message };
  }
});
process.stdout.write(JSON.stringify(results) + "\n");
