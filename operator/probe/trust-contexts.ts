/**
 * The probe's TLS client contexts: one `tls.SecureContext` per group set over one trust bundle, built
 * on first use and kept for a round. Building a context (an OpenSSL `SSL_CTX`, the bundle's PEMs parsed
 * into its store) cost about 30% of the probe's CPU when every `tls.connect` built its own from `ca`;
 * a round shakes hands twice per endpoint with only two group sets, so it needs two contexts.
 *
 * A round builds its own from the bundle of that moment: a rotated anchor is in the next round's store.
 *
 * @example
 * const trust = trustContexts(bundle);
 * tls.connect({ host, port, secureContext: trust.context(["X25519MLKEM768"]) });
 */
import { createSecureContext, type SecureContext } from "node:tls";

/**
 * The contexts of one trust bundle, by group set.
 *
 * @example
 * const trust: TrustContexts = trustContexts([anchorPem]);
 */
export interface TrustContexts {
  /** The anchors (PEM) a certificate must chain to. */
  readonly ca: readonly string[];
  /** The context offering `groups` (OpenSSL names), the same object for the same groups. */
  context(groups: readonly string[]): SecureContext;
}

/**
 * Contexts over `ca` (PEM certificates; empty: nothing is trusted, every chain is unauthorized).
 *
 * @example
 * trustContexts(bundle).context(["X25519", "P-256"]) === trustContexts(bundle).context(["X25519", "P-256"]); // false: one cache per call
 */
export function trustContexts(ca: readonly string[]): TrustContexts {
  const anchors = [...ca];
  const built = new Map<string, SecureContext>();
  return {
    ca: anchors,
    context(groups) {
      const ecdhCurve = groups.join(":");
      let context = built.get(ecdhCurve);
      if (!context) {
        // `ca` replaces the default roots: only the bundle's anchors are trusted.
        context = createSecureContext({ ca: anchors, ecdhCurve });
        built.set(ecdhCurve, context);
      }
      return context;
    },
  };
}
