/**
 * The `native` KEM backend: ML-KEM from node:crypto, which is OpenSSL 3.5 in Node 24 (7x–23x faster than
 * pure JavaScript). OpenSSL has no X-Wing, so `supports("X-Wing")` is false.
 *
 * Seeds go in and out through the KeyObject `raw-seed` format (Node >= 24.7):
 * `createPrivateKey({ key: seed, format: "raw-seed", asymmetricKeyType: "ml-kem-768" })`, public keys
 * through `raw-public`. Both are synchronous, as are `crypto.encapsulate` and `crypto.decapsulate` without a
 * callback, so this backend needs no WebCrypto (whose `importKey("raw-seed")` is async and prints an
 * ExperimentalWarning). OpenSSL runs the FIPS 203 modulus check on `raw-public` import and rejects a bad
 * encapsulation key there.
 *
 * @example
 * const seed = nativeKem.generateSeed("ML-KEM-1024");
 * const pk = nativeKem.publicKey("ML-KEM-1024", seed); // 1568 bytes
 */
import * as nodeCrypto from "node:crypto";
import type { KemAlgorithm } from "../api/algorithms.ts";
import { assertKemAlgorithm, assertKemBytes, KEM_SIZES, type KemBackend } from "./kem.ts";
import { bufferView, probedOnce, seedPrivateKey } from "./node-keys.ts";

type NativeKeyType = "ml-kem-512" | "ml-kem-768" | "ml-kem-1024";

// node:crypto's key type per algorithm; absent = OpenSSL has no such KEM.
const KEY_TYPES: Partial<Record<KemAlgorithm, NativeKeyType>> = {
  "ML-KEM-512": "ml-kem-512",
  "ML-KEM-768": "ml-kem-768",
  "ML-KEM-1024": "ml-kem-1024",
};

const probed = new Map<KemAlgorithm, boolean>();

/**
 * KEMs from node:crypto. Every method throws an Error naming the bad parameter; asking for an algorithm
 * this runtime lacks (X-Wing, or ML-KEM before Node 24.7) throws one naming `alg`.
 *
 * @example
 * const { ciphertext, sharedSecret } = nativeKem.encapsulate("ML-KEM-768", publicKey);
 * nativeKem.decapsulate("ML-KEM-768", seed, ciphertext); // equals sharedSecret
 */
export const nativeKem: KemBackend = {
  name: "native",
  supports(alg) {
    assertKemAlgorithm(alg);
    if (KEY_TYPES[alg] === undefined) return false;
    return probedOnce(probed, alg, probe);
  },
  generateSeed(alg) {
    keyType(alg);
    return nodeCrypto.getRandomValues(new Uint8Array(KEM_SIZES[alg].seed));
  },
  publicKey(alg, seed) {
    const type = keyType(alg);
    assertKemBytes(alg, "seed", seed);
    return fresh(
      nodeCrypto.createPublicKey(seedPrivateKey(type, seed)).export({ format: "raw-public" }),
    );
  },
  encapsulate(alg, publicKey) {
    const type = keyType(alg);
    assertKemBytes(alg, "publicKey", publicKey);
    let key: nodeCrypto.KeyObject;
    try {
      key = nodeCrypto.createPublicKey({
        key: bufferView(publicKey),
        format: "raw-public",
        asymmetricKeyType: type,
      });
    } catch (cause) {
      throw new RangeError(`\`publicKey\` is not a valid ${alg} encapsulation key`, { cause });
    }
    const { ciphertext, sharedKey } = nodeCrypto.encapsulate(key);
    return { ciphertext: fresh(ciphertext), sharedSecret: fresh(sharedKey) };
  },
  decapsulate(alg, seed, ciphertext) {
    const type = keyType(alg);
    assertKemBytes(alg, "seed", seed);
    assertKemBytes(alg, "ciphertext", ciphertext);
    return fresh(nodeCrypto.decapsulate(seedPrivateKey(type, seed), bufferView(ciphertext)));
  },
};

// The node:crypto key type for `alg`, or an Error naming `alg` when this runtime cannot do it.
function keyType(alg: KemAlgorithm): NativeKeyType {
  assertKemAlgorithm(alg);
  const type = KEY_TYPES[alg];
  if (type === undefined || !nativeKem.supports(alg)) {
    throw new RangeError(`\`alg\` ${alg} is not available from the native backend in this runtime`);
  }
  return type;
}

// A full round trip with an all-zero (public, throwaway) seed: a runtime may know the key type yet lack
// `raw-seed` import or `crypto.encapsulate` (added in Node 24.7), so asking is not enough.
function probe(alg: KemAlgorithm): boolean {
  const type = KEY_TYPES[alg];
  if (type === undefined) return false;
  try {
    const key = seedPrivateKey(type, new Uint8Array(KEM_SIZES[alg].seed));
    const { ciphertext, sharedKey } = nodeCrypto.encapsulate(nodeCrypto.createPublicKey(key));
    return nodeCrypto.decapsulate(key, ciphertext).equals(sharedKey);
  } catch {
    return false;
  }
}

// Results leave as plain Uint8Arrays the caller owns, never as Buffers that may share a pool.
function fresh(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer);
}
