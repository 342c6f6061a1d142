/**
 * The `noble` signature backend: ML-DSA from `@noble/post-quantum`, audited pure JavaScript. It runs on any
 * runtime, and checks the native backend in tests: two independent implementations must agree.
 *
 * noble's `keygen(seed)` takes the 32-byte FIPS 204 seed ξ and returns the expanded signing key, which this
 * module wipes as soon as it has used it. `sign` is hedged by default (fresh randomness per signature).
 *
 * @example
 * const seed = nobleSignature.generateSeed("ML-DSA-44"); // 32 bytes
 * const pk = nobleSignature.publicKey("ML-DSA-44", seed); // 1312 bytes
 */
import { randomBytes } from "@noble/hashes/utils.js";
import { ml_dsa44, ml_dsa65, ml_dsa87 } from "@noble/post-quantum/ml-dsa.js";
import type { SignatureAlgorithm } from "../api/algorithms.ts";
import {
  assertMessageAndContext,
  assertSignatureAlgorithm,
  assertSignatureBytes,
  SIGNATURE_SIZES,
  type SignatureBackend,
} from "./signature.ts";

// The part of noble's ML-DSA type this module uses.
interface NobleDsa {
  keygen(seed: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array };
  sign(message: Uint8Array, secretKey: Uint8Array, opts?: { context?: Uint8Array }): Uint8Array;
  verify(
    signature: Uint8Array,
    message: Uint8Array,
    publicKey: Uint8Array,
    opts?: { context?: Uint8Array },
  ): boolean;
}

const DSAS: Record<SignatureAlgorithm, NobleDsa> = {
  "ML-DSA-44": ml_dsa44,
  "ML-DSA-65": ml_dsa65,
  "ML-DSA-87": ml_dsa87,
};

/**
 * ML-DSA from `@noble/post-quantum`, all three parameter sets. Every method throws an Error naming the bad
 * parameter.
 *
 * @example
 * const signature = nobleSignature.sign("ML-DSA-87", seed, message, new TextEncoder().encode("ctx"));
 * nobleSignature.verify("ML-DSA-87", publicKey, message, signature, new TextEncoder().encode("ctx")); // true
 */
export const nobleSignature: SignatureBackend = {
  name: "noble",
  supports(alg) {
    assertSignatureAlgorithm(alg);
    return true;
  },
  generateSeed(alg) {
    assertSignatureAlgorithm(alg);
    return randomBytes(SIGNATURE_SIZES[alg].seed);
  },
  publicKey(alg, seed) {
    assertSignatureAlgorithm(alg);
    assertSignatureBytes(alg, "seed", seed);
    const { publicKey, secretKey } = DSAS[alg].keygen(seed);
    secretKey.fill(0);
    return publicKey;
  },
  sign(alg, seed, message, context) {
    assertSignatureAlgorithm(alg);
    assertSignatureBytes(alg, "seed", seed);
    assertMessageAndContext(message, context);
    const { secretKey } = DSAS[alg].keygen(seed);
    try {
      return DSAS[alg].sign(message, secretKey, context === undefined ? {} : { context });
    } finally {
      secretKey.fill(0);
    }
  },
  verify(alg, publicKey, message, signature, context) {
    assertSignatureAlgorithm(alg);
    assertSignatureBytes(alg, "publicKey", publicKey);
    assertMessageAndContext(message, context);
    assertSignatureBytes(alg, "signature", signature);
    return DSAS[alg].verify(
      signature,
      message,
      publicKey,
      context === undefined ? {} : { context },
    );
  },
};
