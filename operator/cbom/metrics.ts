/**
 * The operator's CBOM endpoint's metric, registered in the operator's registry. Its one label comes from
 * a fixed list, never from what a caller sent.
 *
 * @example
 * const metrics = createCbomMetrics(registry);
 * metrics.requests.inc({ result: "served" });
 */
import { Counter, type Registry } from "prom-client";
import type { CbomResult } from "./access.ts";

/**
 * The CBOM endpoint's metrics.
 *
 * @example
 * metrics.requests.inc({ result: "forbidden" });
 */
export interface CbomMetrics {
  /** `latticeguard_cbom_requests_total{result}` */
  requests: Counter<"result">;
}

/**
 * Creates the metrics in `registry`; throws if they are already registered there.
 *
 * @example
 * const metrics = createCbomMetrics(new Registry());
 */
export function createCbomMetrics(registry: Registry): CbomMetrics {
  const requests = new Counter<"result">({
    name: "latticeguard_cbom_requests_total",
    help: "Requests for the CBOM (GET /v1/cbom), by result: served, unauthenticated, forbidden, rate_limited, overloaded, unavailable, error.",
    labelNames: ["result"],
    registers: [registry],
  });
  const results: CbomResult[] = [
    "served",
    "unauthenticated",
    "forbidden",
    "rate_limited",
    "overloaded",
    "unavailable",
    "error",
  ];
  for (const result of results) requests.inc({ result }, 0);
  return { requests };
}
