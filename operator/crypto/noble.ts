/**
 * The `noble` KEM backend: `@noble/post-quantum`, audited pure JavaScript. It runs on any runtime and is
 * the only backend with X-Wing (`ml_kem768_x25519`, which implements draft-connolly-cfrg-xwing-kem with a
 * 32-byte seed as its private key). It also checks the native backend in tests: two independent
 * implementations must agree.
 *
 * noble's ML-KEM `keygen(seed)` takes the 64-byte FIPS 203 seed `d || z` and returns the expanded
 * decapsulation key, which this module wipes as soon as it has used it.
 *
 * @example
 * const seed = nobleKem.generateSeed("X-Wing"); // 32 bytes
 * const pk = nobleKem.publicKey("X-Wing", seed); // 1216 bytes
 */
import { randomBytes } from "@noble/hashes/utils.js";
import { ml_kem768_x25519 } from "@noble/post-quantum/hybrid.js";
import { ml_kem1024, ml_kem512, ml_kem768 } from "@noble/post-quantum/ml-kem.js";
import type { KemAlgorithm } from "../api/algorithms.ts";
import { assertKemAlgorithm, assertKemBytes, KEM_SIZES, type KemBackend } from "./kem.ts";

// The part of noble's KEM type this module uses.
interface NobleKem {
  keygen(seed: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array };
  getPublicKey(secretKey: Uint8Array): Uint8Array;
  encapsulate(publicKey: Uint8Array): { cipherText: Uint8Array; sharedSecret: Uint8Array };
  decapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array;
}

const KEMS: Record<KemAlgorithm, NobleKem> = {
  "ML-KEM-512": ml_kem512,
  "ML-KEM-768": ml_kem768,
  "ML-KEM-1024": ml_kem1024,
  "X-Wing": ml_kem768_x25519,
};

/**
 * KEMs from `@noble/post-quantum`, all four algorithms. Every method throws an Error naming the bad
 * parameter.
 *
 * @example
 * const { ciphertext, sharedSecret } = nobleKem.encapsulate("X-Wing", publicKey);
 * nobleKem.decapsulate("X-Wing", seed, ciphertext); // equals sharedSecret
 */
export const nobleKem: KemBackend = {
  name: "noble",
  supports(alg) {
    assertKemAlgorithm(alg);
    return true;
  },
  generateSeed(alg) {
    assertKemAlgorithm(alg);
    return randomBytes(KEM_SIZES[alg].seed);
  },
  publicKey(alg, seed) {
    assertKemAlgorithm(alg);
    assertKemBytes(alg, "seed", seed);
    // X-Wing's private key is the seed itself; ML-KEM's must be expanded (and wiped) first.
    if (alg === "X-Wing") return KEMS[alg].getPublicKey(seed);
    const { publicKey, secretKey } = KEMS[alg].keygen(seed);
    secretKey.fill(0);
    return publicKey;
  },
  encapsulate(alg, publicKey) {
    assertKemAlgorithm(alg);
    assertKemBytes(alg, "publicKey", publicKey);
    try {
      const { cipherText, sharedSecret } = KEMS[alg].encapsulate(publicKey);
      return { ciphertext: cipherText, sharedSecret };
    } catch (cause) {
      // The length is right, so noble refused the key itself (FIPS 203 modulus check).
      throw new RangeError(`\`publicKey\` is not a valid ${alg} encapsulation key`, { cause });
    }
  },
  decapsulate(alg, seed, ciphertext) {
    assertKemAlgorithm(alg);
    assertKemBytes(alg, "seed", seed);
    assertKemBytes(alg, "ciphertext", ciphertext);
    if (alg === "X-Wing") return KEMS[alg].decapsulate(ciphertext, seed);
    const { secretKey } = KEMS[alg].keygen(seed);
    try {
      return KEMS[alg].decapsulate(ciphertext, secretKey);
    } finally {
      secretKey.fill(0);
    }
  },
};
