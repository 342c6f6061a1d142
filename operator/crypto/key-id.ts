/**
 * Key ids: short, stable names for public keys, used in MCPServer status (`kem.activeKeyId`), in the
 * `<name>-kem-public` ConfigMap and in logs, where the key itself is too long (and private material must
 * never appear). An id is `<tag>-<first 16 hex digits of SHA3-256(publicKey)>`, so anyone holding the public
 * key can recompute it, and the tag says the algorithm at a glance.
 *
 * @example
 * keyId("ML-KEM-768", publicKey); // "mlkem768-3f9a0c11d2e4b5a6"
 */
import { sha3_256 } from "@noble/hashes/sha3.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import type { KemAlgorithm } from "../api/algorithms.ts";
import { assertKemAlgorithm, assertKemBytes } from "./kem.ts";

/**
 * The prefix of each algorithm's key ids (lowercase, no punctuation, so ids are valid label values).
 *
 * @example
 * KEY_ID_TAGS["X-Wing"]; // "xwing"
 */
export const KEY_ID_TAGS: Readonly<Record<KemAlgorithm, string>> = {
  "ML-KEM-512": "mlkem512",
  "ML-KEM-768": "mlkem768",
  "ML-KEM-1024": "mlkem1024",
  "X-Wing": "xwing",
};

/**
 * What every key id looks like, for validating ids read back from status or ConfigMaps.
 *
 * @example
 * KEY_ID_PATTERN.test("xwing-00ff00ff00ff00ff"); // true
 */
export const KEY_ID_PATTERN = /^(?:mlkem512|mlkem768|mlkem1024|xwing)-[0-9a-f]{16}$/;

/**
 * The key id of `publicKey`. Throws an Error naming `alg` or `publicKey` when either is invalid (a public key
 * of the wrong size for `alg` is a bug upstream, not something to name).
 *
 * @example
 * keyId("X-Wing", nobleKem.publicKey("X-Wing", seed)); // "xwing-…"
 */
export function keyId(alg: KemAlgorithm, publicKey: Uint8Array): string {
  assertKemAlgorithm(alg);
  assertKemBytes(alg, "publicKey", publicKey);
  return `${KEY_ID_TAGS[alg]}-${bytesToHex(sha3_256(publicKey)).slice(0, 16)}`;
}
