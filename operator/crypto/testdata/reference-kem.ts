/**
 * A third KEM implementation for tests: the KEMs inside `@hpke/ml-kem` (built on the independent `mlkem`
 * package) and `@hpke/hybridkem-x-wing`, driven through their public HPKE KEM interface. Native and noble
 * agreeing with each other could be a shared mistake; agreeing with this one as well is much less likely.
 * Asynchronous, like everything in `@hpke`.
 *
 * @example
 * const ref = referenceKem("ML-KEM-768");
 * (await ref.publicKey(seed)).length; // 1184
 */
import { XWing } from "@hpke/hybridkem-x-wing";
import type { webcrypto } from "node:crypto";
import type { KemAlgorithm } from "../../api/algorithms.ts";
import { hpkePrivateKey, hpkePublicKey, hpkeSuite } from "../hpke.ts";
import type { Encapsulation } from "../kem.ts";

/** The raw KEM operations of one algorithm, seeds in and bytes out, as `KemBackend` has them. */
export interface ReferenceKem {
  publicKey(seed: Uint8Array): Promise<Uint8Array>;
  encapsulate(publicKey: Uint8Array): Promise<Encapsulation>;
  decapsulate(seed: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array>;
}

/**
 * The `@hpke` implementation of `alg`.
 *
 * @example
 * const { ciphertext, sharedSecret } = await referenceKem("X-Wing").encapsulate(publicKey);
 */
export function referenceKem(alg: KemAlgorithm): ReferenceKem {
  const suite = hpkeSuite(alg);
  const kem = suite.kem;
  return {
    async publicKey(seed) {
      // X-Wing's deriveKeyPair hashes its input first; generateKeyPairDerand takes the seed as the key.
      // @hpke/ml-kem's deriveKeyPair takes the input as the seed d || z itself (checked below, so that an
      // upstream change fails here and not as a false disagreement between implementations).
      const pair = (await (kem instanceof XWing
        ? kem.generateKeyPairDerand(seed)
        : kem.deriveKeyPair(seed))) as webcrypto.CryptoKeyPair;
      const privateKey = new Uint8Array(await kem.serializePrivateKey(pair.privateKey));
      if (!privateKey.every((byte, i) => byte === seed[i]) || privateKey.length !== seed.length) {
        throw new Error(`@hpke derived a ${alg} private key other than the seed`);
      }
      return new Uint8Array(await kem.serializePublicKey(pair.publicKey));
    },
    async encapsulate(publicKey) {
      const recipientPublicKey = await hpkePublicKey(suite, publicKey);
      const { enc, sharedSecret } = await kem.encap({ recipientPublicKey });
      return { ciphertext: new Uint8Array(enc), sharedSecret: new Uint8Array(sharedSecret) };
    },
    async decapsulate(seed, ciphertext) {
      const recipientKey = await hpkePrivateKey(suite, seed);
      return new Uint8Array(await kem.decap({ recipientKey, enc: ciphertext }));
    },
  };
}
