/**
 * A RUN step: a container from the step's parent image runs the command
 * under its monitor (output streamed unless -q), and its changes are
 * committed as the step's image; the container is removed either way.
 */
import type { Socket } from "node:net";
import type { CliContext } from "../context.ts";
import type { Identity } from "../../runtime/identity.ts";
import type { Store } from "../../store/store.ts";
import type { ImageRecord } from "../../store/image-store.ts";
import type { RunRequest } from "../../runtime/run-request.ts";
import type { BuildConfig } from "../../build/apply-config.ts";
import { createContainer } from "../../runtime/container-create.ts";
import { startContainer } from "../../runtime/container-start.ts";
import { killContainer, waitForStop } from "../../runtime/container-stop.ts";
import { containerDir, readContainer } from "../../store/container-store.ts";
import { layerDir } from "../../store/layer-store.ts";
import { connectAttach, pumpAttach } from "../attach-client.ts";
import { runEnvironment } from "../run-environment.ts";
import { addCommittedImage, stageContainerLayer, withStagingDir } from "../commit-container.ts";
import { RrError } from "../../errors.ts";
import type { BuildInterrupt } from "./interrupt.ts";

export interface RunStep {
  argv: string[];
  /** Build args in effect, as KEY=VALUE: RUN sees them in its environment, the image does not keep them. */
  buildArgs: string[];
  network: "host" | "none";
  createdBy: string;
  quiet: boolean;
  /** Prints a line of the build's own output. */
  say(line: string): void;
  /** Stops the build on SIGINT/SIGTERM: the container is killed, the step fails. */
  interrupt?: BuildInterrupt;
}

function buildRequest(step: RunStep): RunRequest {
  return {
    image: "rr-build", command: step.argv, entrypoint: [], env: step.buildArgs, addHosts: [], dns: [],
    remove: false, interactive: false, tty: false, detach: true, readOnly: false, mounts: [], capAdd: [], capDrop: [],
    privileged: false, noNewPrivileges: false, init: false, network: step.network, resources: {}, ulimits: [],
    labels: {}, restart: "no", networkAliases: [], publish: [], publishAll: false, expose: [], dnsSearch: [], dnsOptions: [],
  };
}

export async function runStep(
  ctx: CliContext, store: Store, identity: Identity, base: ImageRecord, config: BuildConfig, step: RunStep,
): Promise<ImageRecord> {
  const env = runEnvironment(ctx, store.root, identity);
  const rec = await createContainer(buildRequest(step), {
    id: base.id,
    layerDirs: base.layers.map((l) => layerDir(store.root, l.diffId)).reverse(),
    config: { ...base.config.config, ...config },
  }, env);
  step.say(` ---> Running in ${rec.id.slice(0, 12)}`);
  const kill = () => { void killContainer(store.root, readContainer(store.root, rec.id), "SIGKILL").catch(() => {}); };
  let started = false;
  const unhook = step.interrupt?.onInterrupt(() => { if (started) kill(); });
  try {
    step.interrupt?.check();
    let sock: Socket | undefined;
    await startContainer(rec, env, { attach: async () => { sock = await connectAttach(containerDir(store.root, rec.id)); } });
    started = true;
    if (step.interrupt?.signal) kill(); // it came while the container started
    // build output goes to stdout, as the classic builder's does
    if (sock) await pumpAttach(sock, { stdin: false, tty: false, output: step.quiet ? null : { stdout: 1, stderr: 1 } });
    const code = await waitForStop(store.root, rec.id);
    step.interrupt?.check();
    if (code !== 0) throw new RrError(`The command '${step.argv.join(" ")}' returned a non-zero code: ${code}`);
    return await withStagingDir(store, async (dir) => {
      const layer = await stageContainerLayer(store, identity, readContainer(store.root, rec.id), dir);
      return addCommittedImage(ctx, store, identity, { base, config, layer, names: [], createdBy: step.createdBy });
    });
  } finally {
    unhook?.();
    step.say(`Removing intermediate container ${rec.id.slice(0, 12)}`);
    await env.removeContainer(rec.id).catch(() => {});
  }
}
