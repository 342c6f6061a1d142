/**
 * What both native backends (ML-KEM and ML-DSA through node:crypto) need: seed-based private keys,
 * zero-copy Buffer views of caller bytes, and a per-algorithm probe that runs once.
 *
 * @example
 * const key = seedPrivateKey("ml-dsa-65", seed);
 * nodeCrypto.sign(null, bufferView(message), key);
 */
import * as nodeCrypto from "node:crypto";

/** OpenSSL's names of the post-quantum key types LatticeGuard uses. */
export type NativeKeyType =
  "ml-kem-512" | "ml-kem-768" | "ml-kem-1024" | "ml-dsa-44" | "ml-dsa-65" | "ml-dsa-87";

/**
 * node:crypto wants Buffers: a view shares the caller's memory instead of copying key material around.
 *
 * @example
 * bufferView(seed).length === seed.length; // true
 */
export function bufferView(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The private key of OpenSSL key type `type` (such as `ml-kem-768` or `ml-dsa-65`) grown from `seed`.
 *
 * @example
 * nodeCrypto.createPublicKey(seedPrivateKey("ml-kem-768", seed));
 */
export function seedPrivateKey(type: NativeKeyType, seed: Uint8Array): nodeCrypto.KeyObject {
  return nodeCrypto.createPrivateKey({
    key: bufferView(seed),
    format: "raw-seed",
    asymmetricKeyType: type,
  });
}

/**
 * `probe(alg)`, remembered in `results`: whether this runtime really has an algorithm is asked once.
 *
 * @example
 * probedOnce(probed, "ML-KEM-768", probe); // true on Node >= 24.7
 */
export function probedOnce<A>(
  results: Map<A, boolean>,
  alg: A,
  probe: (alg: A) => boolean,
): boolean {
  let ok = results.get(alg);
  if (ok === undefined) {
    ok = probe(alg);
    results.set(alg, ok);
  }
  return ok;
}
