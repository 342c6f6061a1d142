/**
 * Test fixtures for policy logic, shared by the operator's and the webhook's tests.
 *
 * @example
 * mergePolicies([cryptoPolicy("a"), cryptoPolicy("b", { enforcement: "Enforce" })]);
 */
import type { CryptoPolicy, CryptoPolicySpec } from "../api/types.generated.ts";

/**
 * A CryptoPolicy with the CRD's defaults, overridden by `spec`.
 *
 * @example
 * cryptoPolicy("strict", { enforcement: "Enforce", transport: { keyExchange: ["MLKEM1024"] } });
 */
export function cryptoPolicy(name: string, spec: Partial<CryptoPolicySpec> = {}): CryptoPolicy {
  return {
    apiVersion: "latticeguard.dev/v1alpha1",
    kind: "CryptoPolicy",
    metadata: { name },
    spec: {
      enforcement: "Audit",
      minimumSecurityCategory: 3,
      transport: {
        keyExchange: ["X25519MLKEM768", "SecP256r1MLKEM768", "SecP384r1MLKEM1024", "MLKEM1024"],
      },
      kem: {
        algorithms: ["ML-KEM-768", "X-Wing", "ML-KEM-1024"],
        rotationPeriod: "168h",
        gracePeriod: "24h",
      },
      identity: { algorithms: ["ML-DSA-65", "ML-DSA-87"], ttl: "1h" },
      ...spec,
    },
  };
}
