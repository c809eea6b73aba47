/**
 * `rr container SUBCOMMAND`: Docker's management-command spellings of the
 * container commands (`container ls` is `ps`, `container inspect` is
 * `inspect --type container`, …). Each subcommand is the top-level
 * command's own module, loaded on demand; `prune` is its own.
 */
import { managementCommand, type Subcommand } from "../management-command.ts";

const SUBCOMMANDS: Record<string, Subcommand> = {
  attach: { command: "attach", summary: "Attach local standard input, output, and error streams to a running container" },
  commit: { command: "commit", summary: "Create a new image from a container's changes" },
  cp: { command: "cp", summary: "Copy files/folders between a container and the local filesystem" },
  create: { command: "create", summary: "Create a new container" },
  diff: { command: "diff", summary: "Inspect changes to files or directories on a container's filesystem" },
  exec: { command: "exec", summary: "Execute a command in a running container" },
  export: { command: "export", summary: "Export a container's filesystem as a tar archive" },
  inspect: { command: "inspect", summary: "Display detailed information on one or more containers", prefix: ["--type", "container"] },
  kill: { command: "kill", summary: "Kill one or more running containers" },
  logs: { command: "logs", summary: "Fetch the logs of a container" },
  ls: { command: "ps", summary: "List containers" },
  list: { command: "ps", summary: "List containers", alias: true },
  ps: { command: "ps", summary: "List containers", alias: true },
  pause: { command: "pause", summary: "Pause all processes within one or more containers" },
  port: { command: "port", summary: "List port mappings or a specific mapping for the container" },
  prune: { command: "prune", summary: "Remove all stopped containers", load: () => import("./container-prune.ts") },
  rename: { command: "rename", summary: "Rename a container" },
  restart: { command: "restart", summary: "Restart one or more containers" },
  rm: { command: "rm", summary: "Remove one or more containers" },
  remove: { command: "rm", summary: "Remove one or more containers", alias: true },
  run: { command: "run", summary: "Create and run a new container from an image" },
  start: { command: "start", summary: "Start one or more stopped containers" },
  stats: { command: "stats", summary: "Display a live stream of container(s) resource usage statistics" },
  stop: { command: "stop", summary: "Stop one or more running containers" },
  top: { command: "top", summary: "Display the running processes of a container" },
  unpause: { command: "unpause", summary: "Unpause all processes within one or more containers" },
  wait: { command: "wait", summary: "Block until one or more containers stop, then print their exit codes" },
};

export default managementCommand("container", "Manage containers", SUBCOMMANDS);
