/**
 * The `latticeguard operator` command line, parsed and checked in one pure function: every bad flag is
 * reported at once with its name, before anything starts.
 *
 * @example
 * const config = parseOperatorFlags(["--kem-backend=noble", "--leader-elect=false"], process.env);
 */
import { SIGNATURE_ALGORITHMS, type SignatureAlgorithm } from "../api/algorithms.ts";
import {
  KEM_BACKEND_CHOICES,
  assertTrustDomain,
  nativeSignature,
  type KemBackendChoice,
} from "../crypto/index.ts";
import { formatDuration, parseDuration } from "../policy/duration.ts";
import type { ProbeSchedule } from "../probe/probe.ts";
import { readStringFlags } from "./flag-reader.ts";
import { namespaceFlag, objectNameFlag, watchNamespacesFlag } from "./kube-names.ts";

/** Everything `latticeguard operator` is configured with. */
export interface OperatorConfig {
  kubeconfig: string | undefined;
  namespace: string;
  /**
   * The namespaces whose MCPServers, pods, Secrets and ConfigMaps the operator watches; undefined: every
   * namespace (`--watch-namespaces` empty).
   */
  watchNamespaces: string[] | undefined;
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
  /** How long any request to the API server may take (watches excepted). */
  kubeApiTimeoutMs: number;
  /** The admission webhook; undefined with `--webhook-bind-address=off`. */
  webhook: WebhookConfig | undefined;
  identity: IdentityConfig;
  proxy: ProxyConfig;
  /** The leader's handshake probe; undefined with `--probe-interval=off`. */
  probe: ProbeSchedule | undefined;
}

/**
 * The proxy the mutating webhook injects into MCP server pods.
 *
 * @example
 * const proxy: ProxyConfig = { image: "ghcr.io/latticeguard/latticeguard:0.1.0",
 *   issuerUrl: "https://latticeguard-issuer.latticeguard-system.svc:8443" };
 */
export interface ProxyConfig {
  /** Its image (`--proxy-image`); undefined: nothing is injected, and no sidecar counts as transport. */
  image: string | undefined;
  /** The issuance API it calls for its identity (`--proxy-issuer-url`). */
  issuerUrl: string;
}

/**
 * Workload identity: the trust domain, the cluster trust anchor and its bundle, and the longest identity
 * the issuance API may grant (which the anchor's rotation overlap must cover: a third of
 * `anchorLifetimeMs` exceeds `maxTtlMs`).
 *
 * @example
 * const identity: IdentityConfig = { trustDomain: "cluster.local", maxTtlMs: 86_400_000,
 *   anchorSecret: "latticeguard-trust-anchor", anchorAlgorithm: "ML-DSA-87",
 *   anchorLifetimeMs: 720 * 3_600_000, bundleConfigMap: "latticeguard-trust-bundle",
 *   issuerLimits: { perSecond: 10, burst: 20, maxInFlight: 64 } };
 */
export interface IdentityConfig {
  /** The SPIFFE trust domain of every identity and anchor. */
  trustDomain: string;
  /** The longest workload identity the issuance API grants. */
  maxTtlMs: number;
  /** Where the issuance API (HTTPS) listens; undefined with `--issuer-bind-address=off`. */
  issuerAddress: { host: string; port: number } | undefined;
  /** The issuance API's Service in the operator's namespace: its certificate's DNS names. */
  issuerService: string;
  /** The Secret in the operator's namespace that holds the anchors. */
  anchorSecret: string;
  /** The algorithm of new anchors. */
  anchorAlgorithm: SignatureAlgorithm;
  /** The validity of each new anchor. */
  anchorLifetimeMs: number;
  /** The trust bundle ConfigMap, in the operator's namespace and copied into MCPServer namespaces. */
  bundleConfigMap: string;
  /** Requests per second and burst per client, and requests decided at once, by the issuance API. */
  issuerLimits: { perSecond: number; burst: number; maxInFlight: number };
}

/**
 * How the admission webhook is served.
 *
 * @example
 * const webhook: WebhookConfig = { address: { host: "0.0.0.0", port: 9443 }, tls: "self-managed", … };
 */
export interface WebhookConfig {
  address: { host: string; port: number };
  /** `self-managed`: generate, store, rotate, patch `caBundle`; `cert-manager`: load from `certDir`. */
  tls: "self-managed" | "cert-manager";
  certDir: string;
  /** The Service in front of the webhook, in the operator's namespace (the certificate's DNS name). */
  service: string;
  /** The ValidatingWebhookConfiguration whose `caBundle` is kept current (self-managed). */
  configuration: string;
  /** The MutatingWebhookConfiguration (proxy injection) whose `caBundle` is kept current (self-managed). */
  mutatingConfiguration: string;
  /** The Secret in the operator's namespace that holds the self-managed certificates. */
  secret: string;
}

/** Flags, their defaults and help, for `--help` and the docs. */
export const OPERATOR_FLAGS = {
  kubeconfig: { default: "", help: "Path to a kubeconfig; default $KUBECONFIG, then in-cluster." },
  namespace: {
    default: "",
    help: "The operator's namespace (Lease, trust anchor); default $POD_NAMESPACE or latticeguard-system.",
  },
  "watch-namespaces": {
    default: "",
    help: "Comma-separated namespaces whose MCPServers, pods, Secrets and ConfigMaps are watched, and whose pods get identities; empty: all.",
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
  "kube-api-timeout": {
    default: "30s",
    help: "How long any request to the API server may take before it is abandoned (watches excepted).",
  },
  "webhook-bind-address": {
    default: ":9443",
    help: "Where the admission webhook (HTTPS) listens, host:port; off disables it.",
  },
  "webhook-tls": {
    default: "self-managed",
    help: "self-managed (generate, rotate, patch caBundle) or cert-manager (load --webhook-cert-dir).",
  },
  "webhook-cert-dir": {
    default: "/etc/latticeguard/webhook-tls",
    help: "Where cert-manager's tls.crt and tls.key are mounted (--webhook-tls=cert-manager).",
  },
  "webhook-service": {
    default: "latticeguard-webhook",
    help: "The webhook's Service in the operator's namespace: the certificate's DNS name.",
  },
  "webhook-configuration": {
    default: "latticeguard",
    help: "The ValidatingWebhookConfiguration whose caBundle is kept current.",
  },
  "mutating-webhook-configuration": {
    default: "latticeguard",
    help: "The MutatingWebhookConfiguration (proxy injection) whose caBundle is kept current.",
  },
  "webhook-secret": {
    default: "latticeguard-webhook-tls",
    help: "The Secret in the operator's namespace that holds the self-managed certificates.",
  },
  "trust-domain": {
    default: "cluster.local",
    help: "The SPIFFE trust domain of workload identities and of the trust anchor.",
  },
  "max-identity-ttl": {
    default: "24h",
    help: "The longest workload identity issued; a third of --trust-anchor-lifetime must exceed it.",
  },
  "trust-anchor-algorithm": {
    default: "ML-DSA-87",
    help: "The algorithm of new trust anchors: ML-DSA-44, ML-DSA-65 or ML-DSA-87.",
  },
  "trust-anchor-lifetime": {
    default: "720h",
    help: "How long each trust anchor is valid; the next one is published at 1/2 and signs from 2/3.",
  },
  "issuer-bind-address": {
    default: ":8443",
    help: "Where the identity issuance API (HTTPS, post-quantum TLS) listens, host:port; off disables it.",
  },
  "issuer-rate": {
    default: "10",
    help: "Identity requests per second each client (IP address, or IPv6 /64) may make; more are answered 429.",
  },
  "issuer-burst": {
    default: "20",
    help: "Identity requests a client may make at once before --issuer-rate applies.",
  },
  "probe-interval": {
    default: "5m",
    help: "How often the leader probes every MCP endpoint's TLS handshake (jittered by up to a tenth), 1s to 24h; off disables the probe.",
  },
  "probe-concurrency": { default: "8", help: "Handshakes the probe makes at once, 1 to 256." },
  "probe-timeout": {
    default: "5s",
    help: "How long one probe handshake may take, 100ms to 60s and less than --probe-interval.",
  },
  "issuer-max-inflight": {
    default: "64",
    help: "Identity requests decided at once across all clients; more are answered 503 at once.",
  },
  "issuer-service": {
    default: "latticeguard-issuer",
    help: "The issuance API's Service in the operator's namespace: the DNS names of its certificate.",
  },
  "trust-anchor-secret": {
    default: "latticeguard-trust-anchor",
    help: "The Secret in the operator's namespace that holds the trust anchors' keys.",
  },
  "trust-bundle-configmap": {
    default: "latticeguard-trust-bundle",
    help: "The trust bundle ConfigMap, in the operator's namespace and every namespace with an MCPServer or a client pod.",
  },
  "proxy-image": {
    default: "",
    help: "The image of the proxy injected into MCP server pods (the operator's own image; the chart sets it); empty: nothing is injected.",
  },
  "proxy-issuer-url": {
    default: "",
    help: "The issuance API the injected proxy calls, https://host[:port]; default https://<--issuer-service>.<namespace>.svc:8443.",
  },
} as const;

const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"];

/** Parses and checks the flags; throws one Error listing every problem, each naming its flag. */
export function parseOperatorFlags(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): OperatorConfig {
  const { get, check, problems, finish } = readStringFlags(
    "latticeguard operator",
    OPERATOR_FLAGS,
    argv,
  );
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
  const rate = (raw: string) => {
    const n = Number(raw);
    if (!/^\d+(\.\d+)?$/.test(raw) || !(n > 0) || n > 100_000)
      throw new Error(`must be a number greater than 0 and at most 100000, got "${raw}"`);
    return n;
  };
  const address = (raw: string) => {
    const match = /^(.*):(\d+)$/.exec(raw);
    const port = Number(match?.[2]);
    if (!match || port > 65535)
      throw new Error(`must be host:port, such as :8080 or 127.0.0.1:0, got "${raw}"`);
    return { host: match[1] || "0.0.0.0", port };
  };
  const webhookAddress = check("webhook-bind-address", (raw) =>
    raw === "off" ? undefined : address(raw),
  );
  const config: OperatorConfig = {
    kubeconfig: get("kubeconfig") || undefined,
    namespace: check("namespace", namespaceFlag(env)),
    watchNamespaces: check("watch-namespaces", watchNamespacesFlag),
    metricsAddress: check("metrics-bind-address", address),
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
    kubeApiTimeoutMs: check("kube-api-timeout", duration),
    webhook: undefined,
    proxy: { image: undefined, issuerUrl: "" },
    probe: probeSchedule(check),
    identity: {
      trustDomain: check("trust-domain", (raw) => {
        assertTrustDomain(raw);
        return raw;
      }),
      maxTtlMs: check("max-identity-ttl", duration),
      issuerAddress: check("issuer-bind-address", (raw) =>
        raw === "off" ? undefined : address(raw),
      ),
      issuerService: check("issuer-service", (raw) => {
        if (!/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(raw))
          throw new Error(`must be a Service name, got "${raw}"`);
        return raw;
      }),
      anchorSecret: check("trust-anchor-secret", objectNameFlag),
      anchorAlgorithm: check("trust-anchor-algorithm", (raw) => {
        const algorithm = raw as SignatureAlgorithm;
        if (!SIGNATURE_ALGORITHMS.includes(algorithm))
          throw new Error(`must be one of ${SIGNATURE_ALGORITHMS.join(", ")}, got "${raw}"`);
        if (!nativeSignature.supports(algorithm))
          throw new Error(`${raw} is not available from node:crypto in this runtime`);
        return algorithm;
      }),
      anchorLifetimeMs: check("trust-anchor-lifetime", duration),
      bundleConfigMap: check("trust-bundle-configmap", objectNameFlag),
      issuerLimits: {
        perSecond: check("issuer-rate", rate),
        burst: check("issuer-burst", integer(1, 100_000)),
        maxInFlight: check("issuer-max-inflight", integer(1, 10_000)),
      },
    },
  };
  const issuerService = config.identity.issuerService ?? "latticeguard-issuer";
  config.proxy = {
    image: check("proxy-image", (raw) => {
      if (raw === "") return undefined;
      if (raw.length > 512 || !/^[a-z0-9][\w.\-/:@]*$/.test(raw) || raw.includes("//"))
        throw new Error(
          `must be an image reference such as ghcr.io/latticeguard/latticeguard:0.1.0, got "${raw}"`,
        );
      return raw;
    }),
    issuerUrl: check("proxy-issuer-url", (raw) =>
      raw === ""
        ? `https://${issuerService}.${config.namespace ?? "latticeguard-system"}.svc:8443`
        : issuerUrl(raw),
    ),
  };
  const webhook: WebhookConfig = {
    address: webhookAddress ?? { host: "", port: 0 },
    tls: check("webhook-tls", (raw) => {
      if (raw !== "self-managed" && raw !== "cert-manager")
        throw new Error(`must be self-managed or cert-manager, got "${raw}"`);
      return raw;
    }),
    certDir: check("webhook-cert-dir", (raw) => {
      if (!raw) throw new Error("must be a directory");
      return raw;
    }),
    service: check("webhook-service", (raw) => {
      if (!/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(raw))
        throw new Error(`must be a Service name, got "${raw}"`);
      return raw;
    }),
    configuration: check("webhook-configuration", objectNameFlag),
    mutatingConfiguration: check("mutating-webhook-configuration", objectNameFlag),
    secret: check("webhook-secret", objectNameFlag),
  };
  if (webhookAddress) config.webhook = webhook;
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
  const { anchorLifetimeMs, maxTtlMs } = config.identity;
  const bothParsed = anchorLifetimeMs !== undefined && maxTtlMs !== undefined;
  if (bothParsed && !(anchorLifetimeMs / 3 > maxTtlMs)) {
    const third = formatDuration(anchorLifetimeMs / 3);
    problems.push(
      `--trust-anchor-lifetime: a third of it (${third}) must exceed --max-identity-ttl ` +
        `(${formatDuration(maxTtlMs)}), so every identity an anchor signs ends before the anchor leaves the trust bundle`,
    );
  }
  finish();
  return config;
}

/** `--probe-*`: undefined when `--probe-interval=off`. */
function probeSchedule(
  check: <T>(flag: keyof typeof OPERATOR_FLAGS, parse: (raw: string) => T) => T,
): ProbeSchedule | undefined {
  const within = (min: number, max: number) => (raw: string) => {
    const ms = parseDuration(raw, "value");
    if (ms < min || ms > max)
      throw new Error(
        `must be from ${formatDuration(min)} to ${formatDuration(max)}, got "${raw}"`,
      );
    return ms;
  };
  const intervalMs = check("probe-interval", (raw) =>
    raw === "off" ? undefined : within(1000, 86_400_000)(raw),
  );
  const concurrency = check("probe-concurrency", (raw) => {
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < 1 || n > 256)
      throw new Error(`must be a whole number from 1 to 256, got "${raw}"`);
    return n;
  });
  const timeoutMs = check("probe-timeout", (raw) => {
    const ms = within(100, 60_000)(raw);
    if (intervalMs !== undefined && ms >= intervalMs)
      throw new Error(`must be less than --probe-interval, got "${raw}"`);
    return ms;
  });
  return intervalMs === undefined ? undefined : { intervalMs, concurrency, timeoutMs };
}

/** An issuance API base URL: `https://host[:port]`, nothing else. */
function issuerUrl(raw: string): string {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  const bare = url && url.pathname === "/" && !url.search && !url.hash && !url.username;
  if (!url || url.protocol !== "https:" || !bare || raw.endsWith("/"))
    throw new Error(`must be https://host[:port], got "${raw}"`);
  return raw;
}

/** The `--help` text. */
export function operatorHelp(): string {
  const lines = Object.entries(OPERATOR_FLAGS).map(
    ([name, { default: d, help }]) => `  --${name.padEnd(32)} ${help}${d ? ` (default ${d})` : ""}`,
  );
  return `Usage: latticeguard operator [flags]\n\nFlags:\n${lines.join("\n")}\n`;
}
