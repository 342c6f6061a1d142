/**
 * The issuance API's Prometheus metrics, registered in a registry the caller owns (the operator's, once
 * these move into operator/metrics.ts). Labels come from the API server and the caches (namespace,
 * MCPServer, algorithm) or from a fixed list (reason, result), never from what a client sent, so their
 * number stays bounded.
 *
 * @example
 * const metrics = createIssuerMetrics(registry);
 * metrics.issued.inc({ namespace: "mcp", mcpserver: "weather", algorithm: "ML-DSA-65" });
 */
import { Counter, Histogram, type Registry } from "prom-client";

/**
 * The issuer's metrics.
 *
 * @example
 * metrics.refusals.inc({ reason: "PodNotSelected" });
 */
export interface IssuerMetrics {
  /** `latticeguard_identities_issued_total{namespace,mcpserver,algorithm}` */
  issued: Counter<"namespace" | "mcpserver" | "algorithm">;
  /** `latticeguard_identity_refusals_total{reason}` */
  refusals: Counter<"reason">;
  /** `latticeguard_identity_issuance_duration_seconds{result}`, result `issued` or `refused`. */
  duration: Histogram<"result">;
  /** `latticeguard_identity_cache_lookups_total{cache,result}`: `tokenreview` or `pod`, `hit` or `miss`. */
  cacheLookups: Counter<"cache" | "result">;
}

/**
 * Creates the metrics in `registry`; throws if they are already registered there.
 *
 * @example
 * const metrics = createIssuerMetrics(new Registry());
 */
export function createIssuerMetrics(registry: Registry): IssuerMetrics {
  const registers = [registry];
  return {
    issued: new Counter({
      name: "latticeguard_identities_issued_total",
      help: "Workload identity certificates issued, by namespace, MCPServer and signature algorithm.",
      labelNames: ["namespace", "mcpserver", "algorithm"],
      registers,
    }),
    refusals: new Counter({
      name: "latticeguard_identity_refusals_total",
      help: "Identity requests refused, by reason (InvalidToken, PodNotSelected, AlgorithmNotAllowed, RateLimited, Overloaded, …).",
      labelNames: ["reason"],
      registers,
    }),
    duration: new Histogram({
      name: "latticeguard_identity_issuance_duration_seconds",
      help: "Time to answer an identity request (TokenReview, pod read, CSR check, signing), by result.",
      labelNames: ["result"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    cacheLookups: new Counter({
      name: "latticeguard_identity_cache_lookups_total",
      help: "Identity requests answered from the issuer's memory of TokenReviews and its pods informer (hit) or by asking the API server (miss), by cache (tokenreview, pod).",
      labelNames: ["cache", "result"],
      registers,
    }),
  };
}
