/**
 * The `latticeguard cbom` command line, parsed and checked in one pure function: every bad flag is
 * reported at once, each by name, before the cluster is read.
 *
 * @example
 * const config = parseCbomFlags(["--kubeconfig=/home/me/.kube/config", "--output=cbom.json"], process.env);
 */
import { readStringFlags } from "../cli/flag-reader.ts";
import { namespaceFlag, objectNameFlag, watchNamespacesFlag } from "../cli/kube-names.ts";
import { parseDuration } from "../policy/duration.ts";

/**
 * Everything `latticeguard cbom` is configured with.
 *
 * @example
 * const config: CbomConfig = parseCbomFlags(process.argv.slice(3), process.env);
 */
export interface CbomConfig {
  kubeconfig: string | undefined;
  /** Where the CBOM is written; undefined: stdout. */
  output: string | undefined;
  /** LatticeGuard's namespace: the trust bundle and the webhook Secret. */
  namespace: string;
  /** Only these namespaces; undefined: every namespace. */
  watchNamespaces: string[] | undefined;
  bundleConfigMap: string;
  /** The webhook Secret whose certificates are reported; undefined: none (`--webhook-secret=`). */
  webhookSecret: string | undefined;
  kubeApiTimeoutMs: number;
}

/**
 * Flags, their defaults and help.
 *
 * @example
 * CBOM_FLAGS["webhook-secret"].default; // "latticeguard-webhook-tls"
 */
export const CBOM_FLAGS = {
  kubeconfig: {
    default: "",
    help: "Path to a kubeconfig; default $KUBECONFIG, then ~/.kube/config, then in-cluster.",
  },
  output: { default: "", help: "Where to write the CBOM (CycloneDX 1.6 JSON); default stdout." },
  namespace: {
    default: "",
    help: "LatticeGuard's namespace (trust bundle, webhook Secret); default $POD_NAMESPACE or latticeguard-system.",
  },
  "watch-namespaces": {
    default: "",
    help: "Comma-separated namespaces to report MCPServers, keys and pods of; empty: all (as the operator's flag).",
  },
  "trust-bundle-configmap": {
    default: "latticeguard-trust-bundle",
    help: "The trust bundle ConfigMap in LatticeGuard's namespace.",
  },
  "webhook-secret": {
    default: "latticeguard-webhook-tls",
    help: "The Secret holding the webhook's certificate (self-managed, or cert-manager's); empty: leave it out.",
  },
  "kube-api-timeout": { default: "30s", help: "How long any request to the API server may take." },
} as const;

/**
 * Parses and checks the flags; throws one Error listing every problem, each naming its flag.
 *
 * @example
 * parseCbomFlags(["--watch-namespaces=Bad"], {}); // throws: --watch-namespaces: must be namespace names …
 */
export function parseCbomFlags(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): CbomConfig {
  const { get, check, finish } = readStringFlags("latticeguard cbom", CBOM_FLAGS, argv);
  const config: CbomConfig = {
    kubeconfig: get("kubeconfig") || undefined,
    output: check("output", (raw) => (raw === "" || raw === "-" ? undefined : raw)),
    namespace: check("namespace", namespaceFlag(env)),
    watchNamespaces: check("watch-namespaces", watchNamespacesFlag),
    bundleConfigMap: check("trust-bundle-configmap", objectNameFlag),
    webhookSecret: check("webhook-secret", (raw) => (raw === "" ? undefined : objectNameFlag(raw))),
    kubeApiTimeoutMs: check("kube-api-timeout", (raw) => {
      const ms = parseDuration(raw, "value");
      if (ms < 1000) throw new Error(`must be at least 1s, got "${raw}"`);
      return ms;
    }),
  };
  finish();
  return config;
}

/**
 * The `--help` text.
 *
 * @example
 * process.stdout.write(cbomHelp());
 */
export function cbomHelp(): string {
  const lines = Object.entries(CBOM_FLAGS).map(
    ([name, { default: d, help }]) => `  --${name.padEnd(24)} ${help}${d ? ` (default ${d})` : ""}`,
  );
  return (
    "Usage: latticeguard cbom [flags]\n\n" +
    "Writes a CycloneDX 1.6 CBOM of the cluster's cryptographic assets (KEM keys, trust anchors, " +
    "identities,\nthe webhook's certificates, TLS groups, classical findings); never key material.\n\n" +
    `Flags:\n${lines.join("\n")}\n`
  );
}
