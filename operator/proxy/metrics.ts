/**
 * The proxy's Prometheus metrics (prefix `latticeguard_proxy_`), in a registry of its own that the
 * proxy serves on `--metrics-address`. Every series carries `namespace`, `mcpserver` (the MCPServer served
 * or called) and `direction` (`inbound` | `outbound`), fixed for the process, so one query covers every
 * pod of a server. Other labels come from fixed lists (reasons, groups, algorithms, status codes), never
 * from what a peer sent, so their number stays bounded.
 *
 * @example
 * const metrics = createProxyMetrics({ namespace: "mcp", mcpserver: "search", direction: "inbound" });
 * metrics.refused.inc({ reason: "ClientNotAllowed" });
 * await metrics.registry.metrics(); // the /metrics body
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/**
 * Which side of the pod the proxy sits on: in front of an MCP server, or behind an MCP client.
 *
 * @example
 * const direction: Direction = config.mode;
 */
export type Direction = "inbound" | "outbound";

/**
 * The proxy's metrics; label values set here are those beyond the fixed three.
 *
 * @example
 * metrics.requests.inc({ code: "200" });
 */
export interface ProxyMetrics {
  registry: Registry;
  /** `requests_total{code}`: proxied requests by the status answered (`502` when the upstream failed). */
  requests: Counter<"code">;
  /** `handshake_duration_seconds{group,certificate_algorithm}`: completed mutual-TLS handshakes. */
  handshakes: Histogram<"group" | "certificate_algorithm">;
  /** `refused_total{reason}`: connections and requests refused. */
  refused: Counter<"reason">;
  /** `bytes_total{flow}`: body bytes over the mTLS side, `received` from it and `sent` to it. */
  bytes: Counter<"flow">;
  /** `identity_expiry_timestamp_seconds`: when the identity in use expires. */
  identityExpiry: Gauge;
}

/**
 * Creates the metrics, and the Node.js process metrics, in a fresh registry.
 *
 * @example
 * const metrics = createProxyMetrics({ namespace, mcpserver, direction: "outbound" });
 */
export function createProxyMetrics(
  labels: { namespace: string; mcpserver: string; direction: Direction },
  options: { processMetrics?: boolean } = {},
): ProxyMetrics {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  if (options.processMetrics ?? true)
    collectDefaultMetrics({ register: registry, prefix: "latticeguard_proxy_" });
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: "latticeguard_proxy_requests_total",
      help: "Requests proxied, by the HTTP status answered (502 when the upstream could not be reached).",
      labelNames: ["code"],
      registers,
    }),
    handshakes: new Histogram({
      name: "latticeguard_proxy_handshake_duration_seconds",
      help: "Completed mutual-TLS handshakes, by key-exchange group (inbound: the one configured group, else unknown) and the peer certificate's algorithm.",
      labelNames: ["group", "certificate_algorithm"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    }),
    refused: new Counter({
      name: "latticeguard_proxy_refused_total",
      help: "Connections and requests refused, by reason (NoSharedGroup, NoCertificate, UntrustedCertificate, ExpiredCertificate, NoSpiffeId, ClientNotAllowed, …).",
      labelNames: ["reason"],
      registers,
    }),
    bytes: new Counter({
      name: "latticeguard_proxy_bytes_total",
      help: "HTTP body bytes over the mutual-TLS side: received from the peer and sent to it.",
      labelNames: ["flow"],
      registers,
    }),
    identityExpiry: new Gauge({
      name: "latticeguard_proxy_identity_expiry_timestamp_seconds",
      help: "When the workload identity the proxy presents expires (Unix time).",
      registers,
    }),
  };
}

/**
 * The algorithm of a peer certificate's key as LatticeGuard names it (`ML-DSA-65`), from node:crypto's
 * `asymmetricKeyType` (`ml-dsa-65`); `none` without a certificate.
 *
 * @example
 * certificateAlgorithm(socket.getPeerX509Certificate()?.publicKey.asymmetricKeyType); // "ML-DSA-65"
 */
export function certificateAlgorithm(keyType: string | undefined): string {
  if (!keyType) return "none";
  return /^ml-dsa-\d+$/.test(keyType) ? keyType.toUpperCase() : keyType;
}
