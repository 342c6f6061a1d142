/**
 * The crypto layer's public API: KEM backends behind one interface, key ids, and HPKE glue. Import from
 * here rather than from the modules, which may move.
 *
 * @example
 * import { kemBackend, keyId } from "../crypto/index.ts";
 * const backend = kemBackend("auto", "ML-KEM-768");
 * const seed = backend.generateSeed("ML-KEM-768");
 * keyId("ML-KEM-768", backend.publicKey("ML-KEM-768", seed)); // "mlkem768-…"
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
