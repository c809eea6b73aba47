/**
 * A small Docker-style option parser: long and short options, grouped short
 * flags (`-dit`), `--opt=value`, `--flag=false`, repeated options, and
 * `stopAtPositional` for commands whose options end at the first operand
 * (`rr run [OPTIONS] IMAGE [CMD…]`). `--` ends options everywhere.
 */
import { UsageError } from "../errors.ts";

export interface OptionSpec {
  /** Long name without dashes, e.g. "env". */
  name: string;
  short?: string;
  /** Takes a value. */
  value?: boolean;
  /** May repeat; values collect into an array. */
  multiple?: boolean;
  /** Other long names that mean the same option (`net` for `network`). */
  aliases?: string[];
}

export interface ParsedArgs {
  options: Record<string, string | boolean | string[]>;
  positionals: string[];
}

export function parseArgs(argv: string[], specs: OptionSpec[], opts: { stopAtPositional?: boolean; command: string }): ParsedArgs {
  const byLong = new Map<string, OptionSpec>();
  const byShort = new Map<string, OptionSpec>();
  for (const s of specs) {
    byLong.set(s.name, s);
    for (const a of s.aliases ?? []) byLong.set(a, s);
    if (s.short) byShort.set(s.short, s);
  }
  const options: ParsedArgs["options"] = {};
  const positionals: string[] = [];
  const set = (spec: OptionSpec, v: string | boolean) => {
    if (spec.multiple) {
      const prev = options[spec.name];
      options[spec.name] = [...(Array.isArray(prev) ? prev : []), String(v)];
    } else options[spec.name] = v;
  };
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") { i++; break; }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const spec = byLong.get(name);
      if (!spec) throw new UsageError(`unknown flag: --${name}`, { hint: `See 'rr ${opts.command} --help'.` });
      if (spec.value) {
        let v: string | undefined = eq < 0 ? argv[++i] : arg.slice(eq + 1);
        if (v === undefined) throw new UsageError(`flag needs an argument: --${name}`, { hint: `See 'rr ${opts.command} --help'.` });
        set(spec, v);
      } else {
        const v = eq < 0 ? "true" : arg.slice(eq + 1);
        if (v !== "true" && v !== "false" && v !== "1" && v !== "0") {
          throw new UsageError(`invalid boolean value "${v}" for --${name}`);
        }
        set(spec, v === "true" || v === "1");
      }
      continue;
    }
    if (arg.startsWith("-") && arg.length > 1) {
      // Grouped short flags; a value-taking one consumes the rest or the next arg.
      for (let j = 1; j < arg.length; j++) {
        const ch = arg[j]!;
        const spec = byShort.get(ch);
        if (!spec) throw new UsageError(`unknown shorthand flag: '${ch}' in ${arg}`, { hint: `See 'rr ${opts.command} --help'.` });
        if (spec.value) {
          let v = arg.slice(j + 1);
          if (v.startsWith("=")) v = v.slice(1);
          if (v === "") {
            const next = argv[++i];
            if (next === undefined) throw new UsageError(`flag needs an argument: '${ch}' in ${arg}`);
            v = next;
          }
          set(spec, v);
          break;
        }
        set(spec, true);
      }
      continue;
    }
    positionals.push(arg);
    if (opts.stopAtPositional) { i++; break; }
  }
  positionals.push(...argv.slice(i));
  return { options, positionals };
}

export function str(o: ParsedArgs["options"], name: string): string | undefined {
  const v = o[name];
  return typeof v === "string" ? v : undefined;
}
export function bool(o: ParsedArgs["options"], name: string): boolean {
  return o[name] === true;
}
export function list(o: ParsedArgs["options"], name: string): string[] {
  const v = o[name];
  return Array.isArray(v) ? v : [];
}
