/**
 * The part of parsing a command line that every string-flag command shares: read the flags strictly,
 * then check each one by name, collecting every problem so that they are reported at once.
 *
 * @example
 * const flags = readStringFlags("latticeguard cbom", CBOM_FLAGS, argv);
 * const output = flags.check("output", (raw) => raw || undefined);
 * flags.finish(); // throws "latticeguard cbom: invalid flags: …" if any check failed
 */
import { parseArgs } from "node:util";

/** A flag table: each flag's default (used when it is not given) and help. */
export type FlagTable<Name extends string> = Readonly<Record<Name, { readonly default: string }>>;

/**
 * The flags of one command line, read but not yet checked.
 *
 * @example
 * const ms = flags.check("kube-api-timeout", (raw) => parseDuration(raw, "value"));
 */
export interface StringFlags<Name extends string> {
  /** The flag's value, or its default when not given. */
  readonly get: (name: Name) => string;
  /**
   * Parses the flag's value (or default) with `parse`; if `parse` throws, records `--name: message` as a
   * problem and returns undefined, so that the other flags are still checked.
   */
  readonly check: <T>(name: Name, parse: (raw: string) => T) => T;
  /** Every problem recorded so far; a command may add its own, such as one between two flags. */
  readonly problems: string[];
  /** Throws one Error listing every problem, if there are any. */
  readonly finish: () => void;
}

/**
 * Reads `argv` against `flags`, every flag a string; throws, prefixed by `command`, on an unknown flag or
 * a positional argument.
 *
 * @example
 * readStringFlags("latticeguard operator", OPERATOR_FLAGS, ["--workers=4"]).get("workers"); // "4"
 */
export function readStringFlags<Name extends string>(
  command: string,
  flags: FlagTable<Name>,
  argv: readonly string[],
): StringFlags<Name> {
  const options = Object.fromEntries(
    Object.keys(flags).map((name) => [name, { type: "string" as const }]),
  ) as Record<Name, { type: "string" }>;
  let values: Partial<Record<Name, string>>;
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new Error(`${command}: ${(error as Error).message}`, { cause: error });
  }
  const problems: string[] = [];
  const get = (name: Name) => values[name] ?? flags[name].default;
  return {
    get,
    check: <T>(name: Name, parse: (raw: string) => T): T => {
      try {
        return parse(get(name));
      } catch (error) {
        problems.push(`--${name}: ${(error as Error).message}`);
        return undefined as T;
      }
    },
    problems,
    finish: () => {
      if (problems.length)
        throw new Error(`${command}: invalid flags:\n  ${problems.join("\n  ")}`);
    },
  };
}
