/**
 * The seam between the trust anchor (which keeps ML-DSA CA keys in a Secret and rotates them) and
 * everything that issues or trusts workload identities: the issuance API signs with {@link
 * IssuingAuthority.signer}, and bundles (the ConfigMaps copied into namespaces, the agent's trust) are
 * {@link IssuingAuthority.bundle}.
 *
 * @example
 * const signer = authority.signer();
 * if (signer) await issueCertificate({ issuer: signer, subjectKey, spiffeId, dnsNames, notBefore, notAfter });
 */
import type { SigningSeed } from "../crypto/x509-keys.ts";

/** The CA certificate that signs new identities now, and its key. */
export interface Signer {
  /** PEM. */
  certificate: string;
  key: SigningSeed;
}

/** Where identities are signed and what verifies them. */
export interface IssuingAuthority {
  /** The anchor that signs new certificates, or undefined while none exists yet. */
  signer(): Signer | undefined;
  /** Every anchor a verifier should trust now (PEM), the signing one first. */
  bundle(): string[];
}
