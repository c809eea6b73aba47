import { readFileSync } from "node:fs";
import { release } from "node:os";
import type { Command } from "../command.ts";
import { parseArgs, str } from "../args.ts";
import { detectIdentity, findHelper } from "../../runtime/identity.ts";
import { detectCgroups } from "../../runtime/cgroups.ts";
import { probeOverlay } from "../../runtime/overlay-probe.ts";
import { chooseStorageDriver } from "../../runtime/storage-driver.ts";
import { detectEgress } from "../../network/egress.ts";
import { VERSION } from "../version.ts";

const command: Command = {
  summary: "Display system-wide information",
  usage: `Usage:  rr info [--format json]

Show rr's identity, id mappings, store paths, kernel, overlay and cgroup support`,
  async run(argv, ctx) {
    const { options } = parseArgs(argv, [{ name: "format", short: "f", value: true }], { command: "info" });
    const identity = detectIdentity(ctx.env);
    const paths = ctx.storePaths();
    const cgroups = detectCgroups();
    const overlay = await probeOverlay(identity);
    const helpers = Object.fromEntries(
      ["newuidmap", "newgidmap", "fuse-overlayfs", "pasta", "slirp4netns"].map((h) => [h, findHelper(h, ctx.env) ?? null]),
    );
    let userns = "unknown";
    try { userns = readFileSync("/proc/sys/user/max_user_namespaces", "utf8").trim(); } catch {}
    const info = {
      version: VERSION,
      kernel: release(),
      identity: { mode: identity.mode, uid: identity.uid, gid: identity.gid, user: identity.user, reason: identity.reason ?? null },
      uidMap: identity.uidMap,
      gidMap: identity.gidMap,
      store: { root: paths.root, runroot: paths.runroot, config: paths.config },
      storageDriver: await chooseStorageDriver(paths.root, identity, ctx.env, async () => overlay).catch(() => "copy"),
      overlay: overlay.detail,
      cgroups: { version: cgroups.version, limits: cgroups.controllers, note: cgroups.note ?? null },
      maxUserNamespaces: userns,
      helpers,
      networkEgress: detectEgress(ctx.env).summary,
    };
    if (str(options, "format") === "json") {
      ctx.out(JSON.stringify(info, null, 2));
      return 0;
    }
    const maps = (m: typeof identity.uidMap) => m.map((x) => `${x.containerId}→${x.hostId} (${x.size})`).join(", ") || "none (real root)";
    ctx.out([
      `Version:        ${info.version}`,
      `Kernel:         ${info.kernel}`,
      `Identity:       ${identity.mode} (uid ${identity.uid}, ${identity.user})${identity.reason ? ` — ${identity.reason}` : ""}`,
      `UID map:        ${maps(identity.uidMap)}`,
      `GID map:        ${maps(identity.gidMap)}`,
      `Store:          ${paths.root}`,
      `Run root:       ${paths.runroot}`,
      `Storage driver: ${info.storageDriver} (kernel overlay in the user namespace: ${overlay.ok ? "works" : "refused"})`,
      `Cgroups:        ${cgroups.version}; limits: ${cgroups.controllers.join(", ") || "none"}${cgroups.note ? ` (${cgroups.note})` : ""}`,
      `Network egress: ${info.networkEgress}`,
      `Helpers:        ${Object.entries(helpers).map(([k, v]) => `${k}=${v ?? "missing"}`).join(" ")}`,
    ].join("\n"));
    return 0;
  },
};
export default command;
