/**
 * Key material for MCPServer keyrings, from the crypto layer with the configured backend (`--kem-backend`).
 *
 * @example
 * const keys = keyMaterial("auto");
 * const { id, seed } = keys.generate("ML-KEM-768");
 */
import type { KemAlgorithm } from "../api/algorithms.ts";
import { HPKE_KEM_IDS, kemBackend, keyId, type KemBackendChoice } from "../crypto/index.ts";
import type { KeyDeriver } from "./keyring.ts";

/** Generates keys and derives their public halves and ids. */
export interface KeyMaterial extends KeyDeriver {
  generate(algorithm: KemAlgorithm): { id: string; seed: Uint8Array };
}

/** Key material from the `choice` backend (`auto` takes native where the runtime has it). */
export function keyMaterial(choice: KemBackendChoice): KeyMaterial {
  const publicKey = (algorithm: KemAlgorithm, seed: Uint8Array) =>
    kemBackend(choice, algorithm).publicKey(algorithm, seed);
  return {
    publicKey,
    keyId,
    hpkeKemId: (algorithm) => HPKE_KEM_IDS[algorithm],
    generate(algorithm) {
      const seed = kemBackend(choice, algorithm).generateSeed(algorithm);
      return { id: keyId(algorithm, publicKey(algorithm, seed)), seed };
    },
  };
}
