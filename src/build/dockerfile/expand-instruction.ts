import { SyntaxProblem, located, toDockerfileError } from "./errors.ts";
import { expandHeredoc, lex, type Env } from "./expand.ts";
import type { Heredoc } from "./heredoc.ts";
import type { Dockerfile, Instruction, KeyValue } from "./instructions.ts";

/**
 * The instruction with Docker's variable substitution applied, using `env`
 * (the ARG and ENV values in effect at that point of the stage; for FROM,
 * the global ARG values). Substituted instructions are ADD, COPY (paths,
 * --from, --chown, --chmod, --exclude, unquoted heredoc bodies), ENV,
 * LABEL, ARG, EXPOSE, FROM (image, --platform), STOPSIGNAL, USER, VOLUME
 * and WORKDIR; the others come back unchanged, RUN/CMD/ENTRYPOINT text
 * included, since their shell substitutes at run time. Throws
 * DockerfileError (`Dockerfile:4: failed to process "${x": …`).
 */
export function expandInstruction<T extends Instruction>(df: Pick<Dockerfile, "file" | "escape">, inst: T, env: Env): T {
  try {
    return located({ line: inst.line, endLine: inst.endLine, instruction: inst.kind }, () => expand(inst, env, df.escape)) as T;
  } catch (err) {
    throw toDockerfileError(err, df.file);
  }
}

function expand(inst: Instruction, env: Env, escape: string): Instruction {
  const word = (w: string) => lex(w, env, { escape }).text;
  const opt = (w: string | undefined) => (w === undefined ? undefined : word(w));
  const pairs = (list: KeyValue[]) => list.map((kv) => ({ key: word(kv.key), value: word(kv.value) }));
  switch (inst.kind) {
    case "FROM": {
      const image = word(inst.image);
      if (image === "") throw new SyntaxProblem(`base name (${inst.image}) should not be blank`);
      return { ...inst, image, platform: opt(inst.platform) };
    }
    case "ENV":
      return { ...inst, env: pairs(inst.env) };
    case "LABEL":
      return { ...inst, labels: pairs(inst.labels) };
    case "ARG":
      return { ...inst, args: inst.args.map((a) => ({ name: word(a.name), value: opt(a.value) })) };
    case "EXPOSE":
      // A variable may hold several ports: `EXPOSE $PORTS`.
      return { ...inst, ports: inst.ports.flatMap((p) => lex(p, env, { escape }).words) };
    case "VOLUME": {
      const volumes = inst.volumes.map(word);
      if (volumes.some((v) => v.trim() === "")) throw new SyntaxProblem("VOLUME specified can not be an empty string");
      return { ...inst, volumes };
    }
    case "USER":
      return { ...inst, user: word(inst.user) };
    case "WORKDIR":
      return { ...inst, path: word(inst.path) };
    case "STOPSIGNAL":
      return { ...inst, signal: word(inst.signal) };
    case "COPY":
    case "ADD": {
      const common = {
        sources: inst.sources.map(word),
        dest: word(inst.dest),
        heredocs: inst.heredocs.map((h) => expandBody(h, env)),
        chown: opt(inst.chown),
        chmod: opt(inst.chmod),
        exclude: inst.exclude.map(word),
      };
      return inst.kind === "COPY" ? { ...inst, ...common, from: opt(inst.from) } : { ...inst, ...common, checksum: opt(inst.checksum) };
    }
    default:
      return inst;
  }
}

function expandBody(doc: Heredoc, env: Env): Heredoc {
  return doc.expand ? { ...doc, content: expandHeredoc(doc.content, env) } : doc;
}
