import { SyntaxProblem } from "./errors.ts";
import { suggest } from "./suggest.ts";

/** `string`: `--x=v` once; `bool`: `--x` or `--x=true|false` once; `list`: `--x=v` any number of times. */
export type FlagKind = "string" | "bool" | "list";
export type FlagSpec = Readonly<Record<string, FlagKind>>;

/** The flags each instruction accepts (BuildKit's set, less the experimental ones). */
export const FLAG_SPECS: Readonly<Record<string, FlagSpec>> = {
  FROM: { platform: "string" },
  RUN: { mount: "list", network: "string", security: "string" },
  COPY: { from: "string", chown: "string", chmod: "string", link: "bool", parents: "bool", exclude: "list" },
  ADD: { chown: "string", chmod: "string", link: "bool", "keep-git-dir": "bool", checksum: "string", exclude: "list" },
  HEALTHCHECK: { interval: "string", timeout: "string", "start-period": "string", "start-interval": "string", retries: "string" },
};

/** Flag values by name, without the dashes. */
export class Flags {
  constructor(private readonly values: ReadonlyMap<string, string | boolean | string[]>) {}

  string(name: string): string | undefined {
    const v = this.values.get(name);
    return typeof v === "string" ? v : undefined;
  }

  bool(name: string): boolean {
    return this.values.get(name) === true;
  }

  list(name: string): string[] {
    const v = this.values.get(name);
    return Array.isArray(v) ? [...v] : [];
  }
}

/** Checks `--flags` against what `instruction` accepts; messages follow Docker's. */
export function parseFlags(instruction: string, raw: readonly string[]): Flags {
  const spec: FlagSpec = FLAG_SPECS[instruction] ?? {};
  const values = new Map<string, string | boolean | string[]>();
  for (const arg of raw) {
    if (arg === "--") break;
    const eq = arg.indexOf("=");
    const name = (eq >= 0 ? arg.slice(0, eq) : arg).slice(2);
    const value = eq >= 0 ? arg.slice(eq + 1) : undefined;
    const kind = spec[name];
    if (!kind) {
      const near = suggest(name, Object.keys(spec));
      throw new SyntaxProblem(`${instruction}: unknown flag: --${name}${near ? ` (did you mean --${near}?)` : ""}`);
    }
    if (values.has(name) && kind !== "list") throw new SyntaxProblem(`${instruction}: duplicate flag specified: --${name}`);
    if (kind === "bool") {
      if (value === "") throw new SyntaxProblem(`${instruction}: missing a value on flag: --${name}`);
      const lower = value?.toLowerCase() ?? "true";
      if (lower !== "true" && lower !== "false") {
        throw new SyntaxProblem(`${instruction}: expecting boolean value for flag --${name}, not: ${value}`);
      }
      values.set(name, lower === "true");
      continue;
    }
    if (value === undefined) throw new SyntaxProblem(`${instruction}: missing a value on flag: --${name}`);
    if (kind === "list") values.set(name, [...((values.get(name) as string[] | undefined) ?? []), value]);
    else values.set(name, value);
  }
  return new Flags(values);
}
