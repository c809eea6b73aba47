/**
 * `rr __restart ID COUNT`: what a monitor execs when its container's restart
 * policy asks for another run. It yields to a user's stop or rm, which take
 * the same lock.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "../command.ts";
import { openCliStore } from "../open-store.ts";
import { runEnvironment } from "../run-environment.ts";
import { startContainer } from "../../runtime/container-start.ts";
import { CONTAINER_FILES, containerDir, readContainer, withContainerLock } from "../../store/container-store.ts";

const command: Command = {
  summary: "(internal) restart a container for its monitor",
  usage: "Usage:  rr __restart ID COUNT",
  async run(argv, ctx) {
    const [id, count] = argv as [string, string];
    const { store, identity } = await openCliStore(ctx);
    const dir = containerDir(store.root, id);
    if (!existsSync(dir)) return 0;
    await withContainerLock(store.root, id, async () => {
      if (existsSync(join(dir, CONTAINER_FILES.noRestart))) return;
      const rec = readContainer(store.root, id);
      if (rec.state.status === "running" || rec.state.status === "paused") return; // someone started it meanwhile
      await startContainer(rec, runEnvironment(ctx, store.root, identity), { restartCount: Number(count) || 1 });
    });
    return 0;
  },
};
export default command;
