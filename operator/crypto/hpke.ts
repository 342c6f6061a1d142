/**
 * HPKE (RFC 9180) over our KEMs, through `@hpke/core`, `@hpke/ml-kem` and `@hpke/hybridkem-x-wing`: what a
 * client uses to seal a message to an MCP server's published public key, and what the server uses to open
 * it with the private key rebuilt from its stored seed. HPKE is asynchronous (WebCrypto underneath), so this
 * module is, unlike the raw KEM backends.
 *
 * The KEM ids are those of draft-ietf-hpke-pq (ML-KEM) and draft-connolly-cfrg-xwing-kem (X-Wing); the
 * `@hpke` KEMs take the same private-key seeds we store (64 bytes `d || z`, 32 bytes for X-Wing).
 *
 * @example
 * const suite = hpkeSuite("X-Wing");
 * const { enc, ct } = await suite.seal({ recipientPublicKey: await hpkePublicKey(suite, pk) }, message);
 * await suite.open({ recipientKey: await hpkePrivateKey(suite, seed), enc }, ct); // message
 */
import { Aes128Gcm, CipherSuite, HkdfSha256, type KemInterface } from "@hpke/core";
import { XWing } from "@hpke/hybridkem-x-wing";
import { MlKem1024, MlKem512, MlKem768 } from "@hpke/ml-kem";
import type { webcrypto } from "node:crypto";
import { KEM_ALGORITHMS, type KemAlgorithm } from "../api/algorithms.ts";
import { assertKemAlgorithm, assertKemBytes } from "./kem.ts";

/**
 * The HPKE KEM identifier of each algorithm, as published next to each public key so clients know which
 * HPKE KEM to use.
 *
 * @example
 * HPKE_KEM_IDS["X-Wing"]; // 0x647a
 */
export const HPKE_KEM_IDS: Readonly<Record<KemAlgorithm, number>> = {
  "ML-KEM-512": 0x0040,
  "ML-KEM-768": 0x0041,
  "ML-KEM-1024": 0x0042,
  "X-Wing": 0x647a,
};

/**
 * A key imported into an HPKE suite. `@hpke` types its keys as the DOM's `CryptoKey`, which this project's
 * Node-only `lib` does not declare; Node's WebCrypto `CryptoKey` is the same shape.
 *
 * @example
 * const recipientKey: HpkeKey = await hpkePrivateKey(suite, seed);
 */
export type HpkeKey = webcrypto.CryptoKey;

const HPKE_KEMS: Record<KemAlgorithm, () => KemInterface> = {
  "ML-KEM-512": () => new MlKem512(),
  "ML-KEM-768": () => new MlKem768(),
  "ML-KEM-1024": () => new MlKem1024(),
  "X-Wing": () => new XWing(),
};

/**
 * The HPKE cipher suite LatticeGuard uses with `alg`: that KEM, HKDF-SHA256 and AES-128-GCM.
 *
 * @example
 * hpkeSuite("ML-KEM-768").kem.id; // 0x0041
 */
export function hpkeSuite(alg: KemAlgorithm): CipherSuite {
  assertKemAlgorithm(alg);
  return new CipherSuite({ kem: HPKE_KEMS[alg](), kdf: new HkdfSha256(), aead: new Aes128Gcm() });
}

/**
 * Imports a stored private-key seed into `suite`, for `suite.open(...)` or `suite.createRecipientContext`.
 * Rejects with an Error naming `suite` (not one of ours) or `seed` (wrong size for the suite's KEM).
 *
 * @example
 * const recipientKey = await hpkePrivateKey(suite, seed);
 * const plaintext = await suite.open({ recipientKey, enc }, ct);
 */
export async function hpkePrivateKey(suite: CipherSuite, seed: Uint8Array): Promise<HpkeKey> {
  assertKemBytes(suiteAlgorithm(suite), "seed", seed);
  return (await suite.kem.deserializePrivateKey(seed)) as HpkeKey;
}

/**
 * Imports a published public key into `suite`, for `suite.seal(...)`. Rejects with an Error naming `suite`
 * or `publicKey`.
 *
 * @example
 * const recipientPublicKey = await hpkePublicKey(suite, publicKey);
 * const { enc, ct } = await suite.seal({ recipientPublicKey }, plaintext);
 */
export async function hpkePublicKey(suite: CipherSuite, publicKey: Uint8Array): Promise<HpkeKey> {
  assertKemBytes(suiteAlgorithm(suite), "publicKey", publicKey);
  return (await suite.kem.deserializePublicKey(publicKey)) as HpkeKey;
}

// The algorithm of a suite's KEM, or an Error naming `suite` when it is none of ours.
function suiteAlgorithm(suite: CipherSuite): KemAlgorithm {
  const id = suite instanceof CipherSuite ? suite.kem.id : undefined;
  const alg = KEM_ALGORITHMS.find((a) => HPKE_KEM_IDS[a] === id);
  if (alg === undefined) {
    throw new RangeError("`suite` must use one of the KEMs of HPKE_KEM_IDS; use hpkeSuite(alg)");
  }
  return alg;
}
