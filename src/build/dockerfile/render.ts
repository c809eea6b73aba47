import { formatGoDuration } from "./duration.ts";
import type { Heredoc } from "./heredoc.ts";
import type { CommandLine, Instruction, KeyValue } from "./instructions.ts";

/**
 * An instruction written back as Dockerfile text from its fields, in one
 * canonical spelling (flags in a fixed order, values quoted only when
 * needed, heredoc bodies after the line). After expandInstruction() this is
 * "the instruction as written after substitution": the text for a cache
 * key and for history. Two instructions that mean the same render the same.
 */
export function renderInstruction(inst: Instruction): string {
  return head(inst) + bodies(inst);
}

function head(inst: Instruction): string {
  switch (inst.kind) {
    case "FROM":
      return join("FROM", flag("platform", inst.platform), inst.image, inst.name && `AS ${inst.name}`);
    case "RUN":
      return join("RUN", ...inst.mounts.map((m) => flag("mount", m)), flag("network", inst.network), flag("security", inst.security), command(inst.command));
    case "CMD":
    case "ENTRYPOINT":
      return join(inst.kind, command(inst.command));
    case "SHELL":
      return join("SHELL", JSON.stringify(inst.shell));
    case "ENV":
      return join("ENV", pairs(inst.env));
    case "LABEL":
      return join("LABEL", pairs(inst.labels));
    case "ARG":
      return join("ARG", ...inst.args.map((a) => (a.value === undefined ? a.name : `${a.name}=${quote(a.value)}`)));
    case "MAINTAINER":
      return join("MAINTAINER", inst.maintainer);
    case "EXPOSE":
      return join("EXPOSE", ...inst.ports);
    case "VOLUME":
      return join("VOLUME", JSON.stringify(inst.volumes));
    case "USER":
      return join("USER", inst.user);
    case "WORKDIR":
      return join("WORKDIR", inst.path);
    case "STOPSIGNAL":
      return join("STOPSIGNAL", inst.signal);
    case "ONBUILD":
      return join("ONBUILD", head(inst.trigger));
    case "HEALTHCHECK": {
      if (inst.test[0] === "NONE") return "HEALTHCHECK NONE";
      const durations = [["interval", inst.interval], ["timeout", inst.timeout], ["start-period", inst.startPeriod], ["start-interval", inst.startInterval]] as const;
      const cmd = inst.test[0] === "CMD" ? JSON.stringify(inst.test.slice(1)) : inst.test[1];
      return join(
        "HEALTHCHECK",
        ...durations.map(([name, ns]) => flag(name, ns === undefined ? undefined : formatGoDuration(ns))),
        flag("retries", inst.retries?.toString()),
        "CMD",
        cmd,
      );
    }
    case "COPY":
    case "ADD": {
      const paths = [...inst.sources, ...inst.heredocs.map(heredocWord)];
      const files = inst.json || inst.sources.some(needsQuotes) || needsQuotes(inst.dest)
        ? JSON.stringify([...paths, inst.dest])
        : [...paths, inst.dest].join(" ");
      const flags = inst.kind === "COPY"
        ? [flag("from", inst.from), flag("parents", inst.parents)]
        : [flag("keep-git-dir", inst.keepGitDir), flag("checksum", inst.checksum)];
      return join(inst.kind, ...flags, flag("chown", inst.chown), flag("chmod", inst.chmod), flag("link", inst.link), ...inst.exclude.map((e) => flag("exclude", e)), files);
    }
  }
}

function bodies(inst: Instruction): string {
  const target = inst.kind === "ONBUILD" ? inst.trigger : inst;
  if (target.kind !== "RUN" && target.kind !== "COPY" && target.kind !== "ADD") return "";
  return target.heredocs.map((h) => `\n${h.content}${h.name}`).join("");
}

function heredocWord(h: Heredoc): string {
  return `<<${h.chomp ? "-" : ""}${h.expand ? h.name : `"${h.name}"`}`;
}

function command(c: CommandLine): string {
  return c.form === "exec" ? JSON.stringify(c.args) : c.script;
}

function pairs(list: KeyValue[]): string {
  return list.map((kv) => `${quote(kv.key)}=${quote(kv.value)}`).join(" ");
}

function flag(name: string, value: string | boolean | undefined): string | undefined {
  if (value === undefined || value === false) return undefined;
  return value === true ? `--${name}` : `--${name}=${quote(value)}`;
}

function needsQuotes(s: string): boolean {
  return s === "" || /[\s"'\\$]/.test(s);
}

function quote(s: string): string {
  return needsQuotes(s) ? JSON.stringify(s) : s;
}

function join(...parts: (string | undefined | false | "")[]): string {
  return parts.filter((p) => p !== undefined && p !== false && p !== "").join(" ");
}
