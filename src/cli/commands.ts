/**
 * The command table. Each entry is a lazy import so that `rr run` loads the
 * run command alone. Add a command by adding a file and a line here.
 */
import type { Command } from "./command.ts";

type Loader = () => Promise<{ default: Command }>;

export const COMMANDS: Record<string, Loader> = {
  run: () => import("./commands/run.ts"),
  create: () => import("./commands/create.ts"),
  start: () => import("./commands/start.ts"),
  stop: () => import("./commands/stop.ts"),
  restart: () => import("./commands/restart.ts"),
  kill: () => import("./commands/kill.ts"),
  pause: () => import("./commands/pause.ts"),
  unpause: () => import("./commands/unpause.ts"),
  wait: () => import("./commands/wait.ts"),
  rename: () => import("./commands/rename.ts"),
  logs: () => import("./commands/logs.ts"),
  attach: () => import("./commands/attach.ts"),
  exec: () => import("./commands/exec.ts"),
  top: () => import("./commands/top.ts"),
  stats: () => import("./commands/stats.ts"),
  cp: () => import("./commands/cp.ts"),
  diff: () => import("./commands/diff.ts"),
  port: () => import("./commands/port.ts"),
  commit: () => import("./commands/commit.ts"),
  export: () => import("./commands/export.ts"),
  build: () => import("./commands/build.ts"),
  ps: () => import("./commands/ps.ts"),
  rm: () => import("./commands/rm.ts"),
  container: () => import("./commands/container.ts"),
  system: () => import("./commands/system.ts"),
  images: () => import("./commands/images.ts"),
  load: () => import("./commands/load.ts"),
  import: () => import("./commands/import.ts"),
  tag: () => import("./commands/tag.ts"),
  rmi: () => import("./commands/rmi.ts"),
  inspect: () => import("./commands/inspect.ts"),
  save: () => import("./commands/save.ts"),
  history: () => import("./commands/history.ts"),
  image: () => import("./commands/image.ts"),
  network: () => import("./commands/network.ts"),
  push: () => import("./commands/push.ts"),
  pull: () => import("./commands/pull.ts"),
  login: () => import("./commands/login.ts"),
  logout: () => import("./commands/logout.ts"),
  manifest: () => import("./commands/manifest.ts"),
  info: () => import("./commands/info.ts"),
  unshare: () => import("./commands/unshare.ts"),
};

/** Internal commands rr runs itself, inside its user namespace. */
export const HIDDEN_COMMANDS: Record<string, Loader> = {
  "__unpack-layers": () => import("./commands/unpack-layers.ts"),
  "__remove-paths": () => import("./commands/remove-paths.ts"),
  "__copy-rootfs": () => import("./commands/copy-rootfs.ts"),
  "__container-fs": () => import("./commands/container-fs.ts"),
  "__restart": () => import("./commands/restart-by-monitor.ts"),
};
