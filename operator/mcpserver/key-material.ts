/**
 * Key material for MCPServer keyrings, from the crypto layer with the configured backend (`--kem-backend`).
 *
 * Deriving a public key from its seed is most of what a reconcile that changes nothing computes: reading
 * the keyring checks each seed against its key id, and publishing renders each public key again, so one
 * reconcile of a two-key keyring derived four public keys and hashed two, and the reconciles that follow
 * the operator's own writes (its Secret, ConfigMap and status come back through the watches) derive them
 * all again. {@link memoizedDeriver} remembers the most recent derivations, keyed by a SHA-256 of the
 * seed (no copy of a seed is kept), so each key is derived about once while it is being worked on. The
 * bound keeps the memory small (about 1.3 KB an entry for ML-KEM-768, 1.3 MiB in all): the memo serves
 * the keys of recent reconciles (a reconcile, and those its own writes trigger within the next seconds),
 * not every key of the cluster.
 *
 * @example
 * const keys = keyMaterial("auto");
 * const { id, seed } = keys.generate("ML-KEM-768");
 */
import { createHash } from "node:crypto";
import type { KemAlgorithm } from "../api/algorithms.ts";
import { HPKE_KEM_IDS, kemBackend, keyId, type KemBackendChoice } from "../crypto/index.ts";
import type { KeyDeriver } from "./keyring.ts";

/**
 * Generates keys and derives their public halves and ids.
 *
 * @example
 * const material: KeyMaterial = keyMaterial("native");
 */
export interface KeyMaterial extends KeyDeriver {
  generate(algorithm: KemAlgorithm): { id: string; seed: Uint8Array };
}

/** How many derived public keys the operator remembers: the keys of recent reconciles. */
export const DERIVATION_MEMO_ENTRIES = 1024;

/**
 * `derive` with a memory of its last `capacity` public keys (least recently used forgotten first), and
 * of the ids of the public keys it returned. Callers must not change the bytes they are given.
 *
 * @example
 * const fast = memoizedDeriver(nativeDeriver, 1024);
 * fast.publicKey("ML-KEM-768", seed) === fast.publicKey("ML-KEM-768", seed); // true: derived once
 */
export function memoizedDeriver(
  derive: Pick<KeyDeriver, "publicKey" | "keyId">,
  capacity: number,
): Pick<KeyDeriver, "publicKey" | "keyId"> {
  if (!Number.isInteger(capacity) || capacity < 1)
    throw new RangeError("`capacity` must be a positive integer");
  const publicKeys = new Map<string, Uint8Array>();
  const ids = new WeakMap<Uint8Array, string>();
  return {
    publicKey(algorithm, seed) {
      const memo = `${algorithm}:${createHash("sha256").update(seed).digest("base64")}`;
      const known = publicKeys.get(memo);
      if (known) {
        publicKeys.delete(memo);
        publicKeys.set(memo, known);
        return known;
      }
      const derived = derive.publicKey(algorithm, seed);
      publicKeys.set(memo, derived);
      if (publicKeys.size > capacity) publicKeys.delete(publicKeys.keys().next().value!);
      return derived;
    },
    keyId(algorithm, publicKey) {
      const known = ids.get(publicKey);
      if (known?.startsWith(`${algorithm}\0`)) return known.slice(algorithm.length + 1);
      const id = derive.keyId(algorithm, publicKey);
      ids.set(publicKey, `${algorithm}\0${id}`);
      return id;
    },
  };
}

/**
 * Key material from the `choice` backend (`auto` takes native where the runtime has it), with the
 * derivations of recent keys remembered.
 *
 * @example
 * const keys = keyMaterial("noble");
 */
export function keyMaterial(
  choice: KemBackendChoice,
  memoEntries = DERIVATION_MEMO_ENTRIES,
): KeyMaterial {
  const derive = memoizedDeriver(
    {
      publicKey: (algorithm, seed) => kemBackend(choice, algorithm).publicKey(algorithm, seed),
      keyId,
    },
    memoEntries,
  );
  return {
    ...derive,
    hpkeKemId: (algorithm) => HPKE_KEM_IDS[algorithm],
    generate(algorithm) {
      const seed = kemBackend(choice, algorithm).generateSeed(algorithm);
      return { id: derive.keyId(algorithm, derive.publicKey(algorithm, seed)), seed };
    },
  };
}
