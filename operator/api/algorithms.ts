/**
 * The cryptographic algorithms LatticeGuard knows, by the standards' own names, with their NIST security
 * categories. This is the one list the CRD schemas, the policy logic and the crypto layer all read.
 *
 * @example
 * SECURITY_CATEGORY["ML-KEM-768"]; // 3
 */

/** Key-encapsulation mechanisms: FIPS 203 ML-KEM and the X-Wing hybrid (ML-KEM-768 + X25519). */
export const KEM_ALGORITHMS = ["ML-KEM-512", "ML-KEM-768", "ML-KEM-1024", "X-Wing"] as const;
export type KemAlgorithm = (typeof KEM_ALGORITHMS)[number];

/** Signature algorithms for workload identities: FIPS 204 ML-DSA. */
export const SIGNATURE_ALGORITHMS = ["ML-DSA-44", "ML-DSA-65", "ML-DSA-87"] as const;
export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number];

/** TLS 1.3 key-exchange groups with a post-quantum component, by their IANA names. */
export const KEY_EXCHANGE_GROUPS = [
  "X25519MLKEM768",
  "SecP256r1MLKEM768",
  "SecP384r1MLKEM1024",
  "MLKEM1024",
] as const;
export type KeyExchangeGroup = (typeof KEY_EXCHANGE_GROUPS)[number];

/** A NIST post-quantum security category, 1 (AES-128 equivalent) to 5 (AES-256 equivalent). */
export type SecurityCategory = 1 | 2 | 3 | 4 | 5;

/** The NIST security category each algorithm and group claims (a hybrid counts its post-quantum part). */
export const SECURITY_CATEGORY: Readonly<
  Record<KemAlgorithm | SignatureAlgorithm | KeyExchangeGroup, SecurityCategory>
> = {
  "ML-KEM-512": 1,
  "ML-KEM-768": 3,
  "ML-KEM-1024": 5,
  "X-Wing": 3,
  "ML-DSA-44": 2,
  "ML-DSA-65": 3,
  "ML-DSA-87": 5,
  X25519MLKEM768: 3,
  SecP256r1MLKEM768: 3,
  SecP384r1MLKEM1024: 5,
  MLKEM1024: 5,
};
