/**
 * Published known-answer vectors for ML-DSA, checked by `signature-vectors.test.ts` against both backends.
 * Public keys and signatures are large, so only their SHA3-256 is kept (computed from the published hex,
 * not from any implementation here); seeds, messages and contexts are as published.
 *
 * Source (public, Apache-2.0): Project Wycheproof, https://github.com/C2SP/wycheproof,
 * `testvectors_v1/mldsa_<n>_sign_seed_test.json` (read at commit 022eeaff167de852fee950f5897acce5442197dc),
 * first test group (`privateSeed` 2a…2a, `source` github/gendx). Each case gives the 32-byte FIPS 204 seed ξ,
 * the public key, a message, an optional context and the deterministic (rnd = 0) pure ML-DSA signature.
 * These are final FIPS 204 vectors, not the pre-standard (round 3 / draft ACVP) ones.
 *
 * @example
 * for (const v of SIGNATURE_VECTORS) backend.publicKey(v.alg, hex(v.seed)); // SHA3-256 = v.publicKeySha3
 */
import type { SignatureAlgorithm } from "../../api/algorithms.ts";

/**
 * One published vector: seed, message and context in; public-key and signature hashes out. Hex strings.
 *
 * @example
 * const vector: SignatureVector = SIGNATURE_VECTORS[0]!;
 */
export interface SignatureVector {
  alg: SignatureAlgorithm;
  /** Where it was published, and the case within. */
  source: string;
  seed: string;
  /** SHA3-256 of the published public key. */
  publicKeySha3: string;
  message: string;
  /** Absent when the case gives no context (the empty context). */
  context?: string;
  /** SHA3-256 of the published deterministic signature. */
  signatureSha3: string;
}

const SEED = "2a".repeat(32);
const HELLO_WORLD = "48656c6c6f20776f726c64"; // "Hello world"

/**
 * The vectors: one per parameter set with the empty context (what X.509 and TLS use), and one with a
 * context string.
 *
 * @example
 * SIGNATURE_VECTORS.map((v) => v.alg); // ["ML-DSA-44", "ML-DSA-44", "ML-DSA-65", "ML-DSA-87"]
 */
export const SIGNATURE_VECTORS: readonly SignatureVector[] = [
  {
    alg: "ML-DSA-44",
    source: "Wycheproof mldsa_44_sign_seed_test.json tcId 1 (baseline)",
    seed: SEED,
    publicKeySha3: "7057f85874b86116b09efeba000ce1d8b0f10d2f2c1d44af94bde90f53faae0c",
    message: HELLO_WORLD,
    signatureSha3: "9f32d77c980e66114a452e6e8f3e1a41f0a8a2564bd3a786940e6a59c4e3aa2d",
  },
  {
    alg: "ML-DSA-44",
    source: "Wycheproof mldsa_44_sign_seed_test.json tcId 3 (non-empty context)",
    seed: SEED,
    publicKeySha3: "7057f85874b86116b09efeba000ce1d8b0f10d2f2c1d44af94bde90f53faae0c",
    message: HELLO_WORLD,
    context: "436f6e74657874", // "Context"
    signatureSha3: "93113489d1ee9fda8392383cfd1ca927ab96a40607188a7730260d0817bfca57",
  },
  {
    alg: "ML-DSA-65",
    source: "Wycheproof mldsa_65_sign_seed_test.json tcId 1 (baseline)",
    seed: SEED,
    publicKeySha3: "1d03e2a9e7c138287c5df09602562d02b94a8cc38a612d97a0922f554b0e2cee",
    message: HELLO_WORLD,
    signatureSha3: "77c944aaa59ead1318b9eeee229db108765f12000b49535756e2513d0e94de03",
  },
  {
    alg: "ML-DSA-87",
    source: "Wycheproof mldsa_87_sign_seed_test.json tcId 1 (baseline)",
    seed: SEED,
    publicKeySha3: "7088897cb91d5ff3855277bdf1d0a3f13ce7f215f14b557d268c8b6192ee604a",
    message: HELLO_WORLD,
    signatureSha3: "b617aa4d54db7c3e12ca751154ae3d4d50f5455db50b37b2736edbf8a648eecd",
  },
];
