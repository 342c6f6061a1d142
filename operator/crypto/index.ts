/**
 * The crypto layer's public API: KEM and ML-DSA signature backends behind one interface each, key ids, HPKE
 * glue, and the X.509 workload-identity helpers (trust anchor, CSR, issuance, verification, SPIFFE IDs).
 * Import from here rather than from the modules, which may move.
 *
 * @example
 * import { kemBackend, keyId, signatureBackend } from "./index.ts";
 * const backend = kemBackend("auto", "ML-KEM-768");
 * const seed = backend.generateSeed("ML-KEM-768");
 * keyId("ML-KEM-768", backend.publicKey("ML-KEM-768", seed)); // "mlkem768-…"
 * signatureBackend("auto", "ML-DSA-65").name; // "native"
 */
export { KEM_BACKEND_CHOICES, KEM_BACKENDS, kemBackend, type KemBackendChoice } from "./backend.ts";
export { HPKE_KEM_IDS, hpkePrivateKey, hpkePublicKey, hpkeSuite, type HpkeKey } from "./hpke.ts";
export {
  assertKemAlgorithm,
  assertKemBytes,
  KEM_SIZES,
  type Encapsulation,
  type KemBackend,
  type KemBackendName,
  type KemBytesParameter,
  type KemSizes,
} from "./kem.ts";
export { KEY_ID_PATTERN, KEY_ID_TAGS, keyId } from "./key-id.ts";
export { nativeKem } from "./native.ts";
export { nobleKem } from "./noble.ts";
export {
  assertMessageAndContext,
  assertSignatureAlgorithm,
  assertSignatureBytes,
  MAX_CONTEXT_BYTES,
  SIGNATURE_SIZES,
  type SignatureBackend,
  type SignatureBackendName,
  type SignatureBytesParameter,
  type SignatureSizes,
} from "./signature.ts";
export {
  SIGNATURE_BACKEND_CHOICES,
  SIGNATURE_BACKENDS,
  signatureBackend,
  type SignatureBackendChoice,
} from "./signature-backend.ts";
export { nativeSignature } from "./signature-native.ts";
export { nobleSignature } from "./signature-noble.ts";
export {
  assertTrustDomain,
  parseWorkloadSpiffeId,
  peerWorkloadIdentity,
  workloadSpiffeId,
  type WorkloadIdentity,
} from "./spiffe.ts";
export { createCaCertificate, type CaCertificateOptions } from "./x509-ca.ts";
export { createCsr, verifyCsr, type CsrOptions, type VerifiedCsr } from "./x509-csr.ts";
export { issueCertificate, type IssueOptions } from "./x509-issue.ts";
export {
  privateKeyPem,
  signingKeyPair,
  verificationCryptoKey,
  verificationKeyFromSpki,
  type SigningSeed,
  type VerificationKey,
} from "./x509-keys.ts";
export { verifyCertificate, type VerifiedCertificate } from "./x509-verify.ts";
