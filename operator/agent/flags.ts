/**
 * The `latticeguard agent` command line, parsed and checked in one pure function: every bad flag is
 * reported at once, each by name, before anything starts.
 *
 * @example
 * const config = parseAgentFlags(["--issuer=https://latticeguard-issuer.latticeguard-system.svc:8443"]);
 */
import { parseArgs } from "node:util";
import { SIGNATURE_ALGORITHMS, type SignatureAlgorithm } from "../api/algorithms.ts";

/**
 * Everything the agent is configured with.
 *
 * @example
 * const config: AgentConfig = parseAgentFlags(process.argv.slice(3));
 */
export interface AgentConfig {
  issuer: URL;
  tokenFile: string;
  bundleFile: string;
  outDir: string;
  algorithm: SignatureAlgorithm;
  logLevel: string;
  /** Only check that `outDir` holds a currently valid certificate (a startup probe), then exit. */
  check: boolean;
}

/**
 * Flags, their defaults (the paths of the documented pod spec) and help.
 *
 * @example
 * AGENT_FLAGS["token-file"].default; // "/var/run/secrets/latticeguard.dev/identity/token"
 */
export const AGENT_FLAGS = {
  issuer: {
    default: "",
    help: "The issuance API's base URL, https://host[:port] (required).",
  },
  "token-file": {
    default: "/var/run/secrets/latticeguard.dev/identity/token",
    help: "The projected service-account token (LatticeGuard audience); re-read for every request.",
  },
  "bundle-file": {
    default: "/var/run/latticeguard.dev/trust/bundle.pem",
    help: "The trust bundle (ConfigMap latticeguard-trust-bundle) the issuer's certificate chains to.",
  },
  "out-dir": {
    default: "/var/run/latticeguard.dev/identity",
    help: "Where key.pem, cert.pem and bundle.pem are written (a volume shared with the workload).",
  },
  algorithm: {
    default: "ML-DSA-65",
    help: `The key's algorithm: ${SIGNATURE_ALGORITHMS.join(", ")}.`,
  },
  "log-level": { default: "info", help: "One of trace, debug, info, warn, error." },
  check: {
    default: "",
    help: "Exit 0 if --out-dir holds a currently valid cert.pem, else 1 (for a startupProbe).",
  },
} as const;

type FlagName = keyof typeof AGENT_FLAGS;

/**
 * The accepted `--log-level` values (pino's levels).
 *
 * @example
 * LOG_LEVELS.includes("debug"); // true
 */
export const LOG_LEVELS: readonly string[] = ["trace", "debug", "info", "warn", "error", "fatal"];

/**
 * Reads `--issuer`: an https:// base URL, or an Error saying what is wrong (the caller names the flag).
 *
 * @example
 * issuerUrl("https://latticeguard-issuer.latticeguard-system.svc:8443").port; // "8443"
 */
export function issuerUrl(raw: string): URL {
  if (!raw)
    throw new Error(
      "is required, such as https://latticeguard-issuer.latticeguard-system.svc:8443",
    );
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`must be an https:// URL, got "${raw}"`);
  }
  if (url.protocol !== "https:") throw new Error(`must be an https:// URL, got "${raw}"`);
  if (
    url.username ||
    url.password ||
    url.search ||
    url.hash ||
    (url.pathname !== "/" && url.pathname !== "")
  )
    throw new Error(`must be a base URL (scheme, host, port), got "${raw}"`);
  return url;
}

/**
 * Reads a path flag: it must be absolute, or an Error says so (the caller names the flag).
 *
 * @example
 * absolutePath("/var/run/latticeguard.dev/identity"); // the same path
 */
export function absolutePath(raw: string): string {
  if (!raw.startsWith("/")) throw new Error(`must be an absolute path, got "${raw}"`);
  return raw;
}

/**
 * Parses and checks the flags; throws one Error listing every problem, each naming its flag.
 *
 * @example
 * parseAgentFlags(["--issuer=http://x"]); // throws: --issuer: must be an https:// URL, got "http://x"
 */
export function parseAgentFlags(argv: readonly string[]): AgentConfig {
  const options = Object.fromEntries(
    Object.keys(AGENT_FLAGS).map((name) => [
      name,
      { type: name === "check" ? ("boolean" as const) : ("string" as const) },
    ]),
  ) as Record<FlagName, { type: "string" }>;
  let values: Partial<Record<FlagName, string | boolean>>;
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new Error(`latticeguard agent: ${(error as Error).message}`, { cause: error });
  }
  const check = values.check === true;
  const problems: string[] = [];
  const get = (name: FlagName) => (values[name] as string | undefined) ?? AGENT_FLAGS[name].default;
  const parse = <T>(name: FlagName, fn: (raw: string) => T): T => {
    try {
      return fn(get(name));
    } catch (error) {
      problems.push(`--${name}: ${(error as Error).message}`);
      return undefined as T;
    }
  };
  const config: AgentConfig = {
    // A probe needs only --out-dir; the issuer is not contacted.
    issuer: check ? new URL("https://unused.invalid") : parse("issuer", issuerUrl),
    tokenFile: parse("token-file", absolutePath),
    bundleFile: parse("bundle-file", absolutePath),
    outDir: parse("out-dir", absolutePath),
    algorithm: parse("algorithm", (raw) => {
      if (!(SIGNATURE_ALGORITHMS as readonly string[]).includes(raw))
        throw new Error(`must be one of ${SIGNATURE_ALGORITHMS.join(", ")}, got "${raw}"`);
      return raw as SignatureAlgorithm;
    }),
    logLevel: parse("log-level", (raw) => {
      if (!LOG_LEVELS.includes(raw))
        throw new Error(`must be one of ${LOG_LEVELS.join(", ")}, got "${raw}"`);
      return raw;
    }),
    check,
  };
  if (problems.length)
    throw new Error(`latticeguard agent: invalid flags:\n  ${problems.join("\n  ")}`);
  return config;
}

/**
 * The `--help` text.
 *
 * @example
 * process.stdout.write(agentHelp());
 */
export function agentHelp(): string {
  const lines = Object.entries(AGENT_FLAGS).map(
    ([name, { default: d, help }]) => `  --${name.padEnd(14)} ${help}${d ? ` (default ${d})` : ""}`,
  );
  return `Usage: latticeguard agent --issuer=https://… [flags]\n\nFlags:\n${lines.join("\n")}\n`;
}
