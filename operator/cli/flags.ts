/**
 * The `latticeguard operator` command line, parsed and checked in one pure function: every bad flag is
 * reported at once with its name, before anything starts.
 *
 * @example
 * const config = parseOperatorFlags(["--kem-backend=noble", "--leader-elect=false"], process.env);
 */
import { parseArgs } from "node:util";
import { KEM_BACKEND_CHOICES, type KemBackendChoice } from "../crypto/index.ts";
import { parseDuration } from "../policy/duration.ts";

/** Everything `latticeguard operator` is configured with. */
export interface OperatorConfig {
  kubeconfig: string | undefined;
  namespace: string;
  metricsAddress: { host: string; port: number };
  leaderElect: boolean;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  kemBackend: KemBackendChoice;
  rekeyPerSecond: number;
  rekeyBurst: number;
  workers: number;
  logLevel: string;
}

/** Flags, their defaults and help, for `--help` and the docs. */
export const OPERATOR_FLAGS = {
  kubeconfig: { default: "", help: "Path to a kubeconfig; default $KUBECONFIG, then in-cluster." },
  namespace: {
    default: "",
    help: "The operator's namespace (Lease, trust anchor); default $POD_NAMESPACE or latticeguard-system.",
  },
  "metrics-bind-address": {
    default: ":8080",
    help: "Where /metrics, /healthz and /readyz listen, host:port.",
  },
  "leader-elect": { default: "true", help: "Elect one leader through a Lease before reconciling." },
  "leader-election-lease-duration": {
    default: "60s",
    help: "How long a leader's Lease lasts without renewal.",
  },
  "leader-election-renew-deadline": {
    default: "40s",
    help: "How long the leader keeps trying to renew before it steps down.",
  },
  "leader-election-retry-period": {
    default: "15s",
    help: "How often replicas try to acquire or renew the Lease.",
  },
  "kem-backend": {
    default: "auto",
    help: "KEM implementation: native (OpenSSL), noble (pure JavaScript) or auto.",
  },
  "rekey-rate": {
    default: "5",
    help: "Cluster-wide re-keys per second when a policy stops allowing an algorithm.",
  },
  "rekey-burst": { default: "20", help: "Re-keys allowed at once before --rekey-rate applies." },
  workers: { default: "4", help: "MCPServers reconciled at once." },
  "log-level": { default: "info", help: "One of trace, debug, info, warn, error." },
} as const;

type FlagName = keyof typeof OPERATOR_FLAGS;

const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"];

/** Parses and checks the flags; throws one Error listing every problem, each naming its flag. */
export function parseOperatorFlags(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): OperatorConfig {
  const options = Object.fromEntries(
    Object.keys(OPERATOR_FLAGS).map((name) => [name, { type: "string" as const }]),
  ) as Record<FlagName, { type: "string" }>;
  let values: Partial<Record<FlagName, string>>;
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new Error(`latticeguard operator: ${(error as Error).message}`, { cause: error });
  }
  const problems: string[] = [];
  const get = (name: FlagName) => values[name] ?? OPERATOR_FLAGS[name].default;
  const check = <T>(name: FlagName, parse: (raw: string) => T): T => {
    try {
      return parse(get(name));
    } catch (error) {
      problems.push(`--${name}: ${(error as Error).message}`);
      return undefined as T;
    }
  };
  const duration = (raw: string) => {
    const ms = parseDuration(raw, "value");
    if (ms < 1000) throw new Error(`must be at least 1s, got "${raw}"`);
    return ms;
  };
  const integer = (min: number, max: number) => (raw: string) => {
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < min || n > max)
      throw new Error(`must be a whole number from ${min} to ${max}, got "${raw}"`);
    return n;
  };
  const config: OperatorConfig = {
    kubeconfig: get("kubeconfig") || undefined,
    namespace: check("namespace", (raw) => {
      const ns = raw || env.POD_NAMESPACE || "latticeguard-system";
      if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(ns))
        throw new Error(`"${ns}" is not a namespace name`);
      return ns;
    }),
    metricsAddress: check("metrics-bind-address", (raw) => {
      const match = /^(.*):(\d+)$/.exec(raw);
      const port = Number(match?.[2]);
      if (!match || port > 65535)
        throw new Error(`must be host:port, such as :8080 or 127.0.0.1:0, got "${raw}"`);
      return { host: match[1] || "0.0.0.0", port };
    }),
    leaderElect: check("leader-elect", (raw) => {
      if (raw !== "true" && raw !== "false") throw new Error(`must be true or false, got "${raw}"`);
      return raw === "true";
    }),
    leaseDurationMs: check("leader-election-lease-duration", duration),
    renewDeadlineMs: check("leader-election-renew-deadline", duration),
    retryPeriodMs: check("leader-election-retry-period", duration),
    kemBackend: check("kem-backend", (raw) => {
      if (!KEM_BACKEND_CHOICES.includes(raw as KemBackendChoice))
        throw new Error(`must be one of ${KEM_BACKEND_CHOICES.join(", ")}, got "${raw}"`);
      return raw as KemBackendChoice;
    }),
    rekeyPerSecond: check("rekey-rate", integer(1, 10_000)),
    rekeyBurst: check("rekey-burst", integer(1, 100_000)),
    workers: check("workers", integer(1, 64)),
    logLevel: check("log-level", (raw) => {
      if (!LOG_LEVELS.includes(raw))
        throw new Error(`must be one of ${LOG_LEVELS.join(", ")}, got "${raw}"`);
      return raw;
    }),
  };
  if (
    !problems.length &&
    !(
      config.leaseDurationMs > config.renewDeadlineMs &&
      config.renewDeadlineMs > config.retryPeriodMs
    )
  ) {
    problems.push(
      "--leader-election-lease-duration must exceed --leader-election-renew-deadline, which must exceed --leader-election-retry-period",
    );
  }
  if (problems.length)
    throw new Error(`latticeguard operator: invalid flags:\n  ${problems.join("\n  ")}`);
  return config;
}

/** The `--help` text. */
export function operatorHelp(): string {
  const lines = Object.entries(OPERATOR_FLAGS).map(
    ([name, { default: d, help }]) => `  --${name.padEnd(32)} ${help}${d ? ` (default ${d})` : ""}`,
  );
  return `Usage: latticeguard operator [flags]\n\nFlags:\n${lines.join("\n")}\n`;
}
