/**
 * The `native` signature backend: ML-DSA from node:crypto, which is OpenSSL 3.5 in Node 24.
 *
 * Seeds go in through the KeyObject `raw-seed` format (Node >= 24.7):
 * `createPrivateKey({ key: seed, format: "raw-seed", asymmetricKeyType: "ml-dsa-65" })`, public keys in and
 * out through `raw-public`. `crypto.sign(null, message, { key, context })` and `crypto.verify(...)` without a
 * callback are synchronous and sign pure ML-DSA (hedged, as OpenSSL does by default), so this backend needs
 * no WebCrypto, whose ML-DSA is async and prints an ExperimentalWarning in Node 24.
 *
 * @example
 * const seed = nativeSignature.generateSeed("ML-DSA-87");
 * const pk = nativeSignature.publicKey("ML-DSA-87", seed); // 2592 bytes
 */
import * as nodeCrypto from "node:crypto";
import type { SignatureAlgorithm } from "../api/algorithms.ts";
import {
  assertMessageAndContext,
  assertSignatureAlgorithm,
  assertSignatureBytes,
  SIGNATURE_SIZES,
  type SignatureBackend,
} from "./signature.ts";
import { bufferView, probedOnce, seedPrivateKey } from "./node-keys.ts";

type NativeKeyType = "ml-dsa-44" | "ml-dsa-65" | "ml-dsa-87";

const KEY_TYPES: Record<SignatureAlgorithm, NativeKeyType> = {
  "ML-DSA-44": "ml-dsa-44",
  "ML-DSA-65": "ml-dsa-65",
  "ML-DSA-87": "ml-dsa-87",
};

const probed = new Map<SignatureAlgorithm, boolean>();

/**
 * ML-DSA from node:crypto. Every method throws an Error naming the bad parameter; asking for an algorithm
 * this runtime lacks (before Node 24.7) throws one naming `alg`.
 *
 * @example
 * const signature = nativeSignature.sign("ML-DSA-65", seed, message);
 * nativeSignature.verify("ML-DSA-65", publicKey, message, signature); // true
 */
export const nativeSignature: SignatureBackend = {
  name: "native",
  supports(alg) {
    assertSignatureAlgorithm(alg);
    return probedOnce(probed, alg, probe);
  },
  generateSeed(alg) {
    keyType(alg);
    return nodeCrypto.getRandomValues(new Uint8Array(SIGNATURE_SIZES[alg].seed));
  },
  publicKey(alg, seed) {
    const type = keyType(alg);
    assertSignatureBytes(alg, "seed", seed);
    const key = nodeCrypto.createPublicKey(seedPrivateKey(type, seed));
    return new Uint8Array(key.export({ format: "raw-public" }));
  },
  sign(alg, seed, message, context) {
    const type = keyType(alg);
    assertSignatureBytes(alg, "seed", seed);
    assertMessageAndContext(message, context);
    const key = seedPrivateKey(type, seed);
    return new Uint8Array(nodeCrypto.sign(null, bufferView(message), withContext(key, context)));
  },
  verify(alg, publicKey, message, signature, context) {
    const type = keyType(alg);
    assertSignatureBytes(alg, "publicKey", publicKey);
    assertMessageAndContext(message, context);
    assertSignatureBytes(alg, "signature", signature);
    // Every byte string of the right length decodes as an ML-DSA public key (t1 is packed 10-bit values).
    const key = nodeCrypto.createPublicKey({
      key: bufferView(publicKey),
      format: "raw-public",
      asymmetricKeyType: type,
    });
    return nodeCrypto.verify(
      null,
      bufferView(message),
      withContext(key, context),
      bufferView(signature),
    );
  },
};

// The node:crypto key type for `alg`, or an Error naming `alg` when this runtime cannot do it.
function keyType(alg: SignatureAlgorithm): NativeKeyType {
  assertSignatureAlgorithm(alg);
  if (!nativeSignature.supports(alg)) {
    throw new RangeError(`\`alg\` ${alg} is not available from the native backend in this runtime`);
  }
  return KEY_TYPES[alg];
}

// A full sign/verify round trip with an all-zero (public, throwaway) seed: a runtime may know the key type
// yet lack `raw-seed` import (added in Node 24.7), so asking is not enough.
function probe(alg: SignatureAlgorithm): boolean {
  try {
    const key = seedPrivateKey(KEY_TYPES[alg], new Uint8Array(SIGNATURE_SIZES[alg].seed));
    const message = new Uint8Array(1);
    const signature = nodeCrypto.sign(null, message, key);
    return nodeCrypto.verify(null, message, nodeCrypto.createPublicKey(key), signature);
  } catch {
    return false;
  }
}

// An absent context and an empty one are the same thing in FIPS 204; OpenSSL is given none for both.
function withContext(key: nodeCrypto.KeyObject, context: Uint8Array | undefined) {
  return context === undefined || context.length === 0
    ? key
    : { key, context: bufferView(context) };
}
