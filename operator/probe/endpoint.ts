/**
 * Probing one endpoint: a handshake offering every post-quantum group LatticeGuard knows, then one
 * offering only classical groups (X25519, P-256). The verdict ({@link classifyEndpoint}, pure) is the
 * first of these that holds:
 *
 * - `Unreachable`: the first handshake found nothing answering (refused, or silent past the timeout);
 * - `ClassicalGroupAccepted`: the classical-only handshake succeeded (a downgrade is possible, or the
 *   server speaks nothing else);
 * - `HandshakeFailed`: neither handshake succeeded, though something answered;
 * - `UntrustedCertificate`: the chain does not lead to the trust bundle;
 * - `ClassicalCertificate`: the certificate's key is not ML-DSA;
 * - `Verified`.
 *
 * @example
 * const seen = await probeEndpoint({ host: "10.0.0.7", port: 8443 }, { trust: trustContexts(ca), timeoutMs: 5000 });
 * seen.outcome; // "Verified"
 */
import { KEY_EXCHANGE_GROUPS } from "../api/algorithms.ts";
import { handshake, type Connected, type Handshake } from "./handshake.ts";
import type { TrustContexts } from "./trust-contexts.ts";

/** The groups of the downgrade handshake. */
export const CLASSICAL_GROUPS = ["X25519", "P-256"] as const;

/**
 * What an endpoint's probe concluded.
 *
 * @example
 * const outcome: EndpointOutcome = "ClassicalGroupAccepted";
 */
export type EndpointOutcome =
  | "Verified"
  | "ClassicalGroupAccepted"
  | "UntrustedCertificate"
  | "ClassicalCertificate"
  | "HandshakeFailed"
  | "Unreachable";

/**
 * One endpoint's verdict and what the handshakes showed.
 *
 * @example
 * const seen: EndpointProbe = { outcome: "Verified", handshake: connected, classicalGroup: undefined };
 */
export interface EndpointProbe {
  outcome: EndpointOutcome;
  /** The post-quantum handshake when it completed, else the classical one when that did. */
  handshake: Connected | undefined;
  /** The group the classical-only handshake agreed on, when it was accepted. */
  classicalGroup: string | undefined;
  /** Why a handshake failed, for messages. */
  error: string | undefined;
}

/**
 * The verdict of the two handshakes (`classical` undefined: not tried, since nothing answered).
 *
 * @example
 * classifyEndpoint({ kind: "unreachable", error: "connect ECONNREFUSED" }, undefined).outcome; // "Unreachable"
 */
export function classifyEndpoint(pq: Handshake, classical: Handshake | undefined): EndpointProbe {
  const accepted = classical?.kind === "connected" ? classical : undefined;
  const seen = pq.kind === "connected" ? pq : accepted;
  const base = {
    handshake: seen,
    classicalGroup: accepted?.group,
    error: pq.kind === "connected" ? undefined : pq.error,
  };
  if (pq.kind === "unreachable") return { ...base, outcome: "Unreachable" };
  if (accepted) return { ...base, outcome: "ClassicalGroupAccepted" };
  if (pq.kind !== "connected") return { ...base, outcome: "HandshakeFailed" };
  if (!pq.authorized)
    return { ...base, outcome: "UntrustedCertificate", error: pq.authorizationError };
  if (!/^ML-DSA-/.test(pq.certificateAlgorithm))
    return { ...base, outcome: "ClassicalCertificate" };
  return { ...base, outcome: "Verified" };
}

/**
 * Both handshakes with `endpoint` (the second only if something answered the first); never rejects.
 *
 * @example
 * await probeEndpoint({ host: "127.0.0.1", port: 8443 }, { trust: trustContexts(bundle), timeoutMs: 5000 });
 */
export async function probeEndpoint(
  endpoint: { host: string; port: number },
  options: { trust: TrustContexts; timeoutMs: number },
  shake: typeof handshake = handshake,
): Promise<EndpointProbe> {
  const pq = await shake(endpoint, { ...options, groups: KEY_EXCHANGE_GROUPS });
  const classical =
    pq.kind === "unreachable"
      ? undefined
      : await shake(endpoint, { ...options, groups: CLASSICAL_GROUPS });
  return classifyEndpoint(pq, classical);
}
