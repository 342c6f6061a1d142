/**
 * The KEM contract every crypto backend implements, the byte sizes of each algorithm, and the input checks
 * all entry points share.
 *
 * Private keys exist only as seeds: the 64-byte FIPS 203 seed `d || z` for ML-KEM, the 32-byte seed for
 * X-Wing (draft-connolly-cfrg-xwing-kem). A seed is what the `<name>-kem` Secret stores; every operation
 * re-derives the expanded key from it, so no backend ever sees another format. The interface is
 * synchronous because both backends are: node:crypto imports ML-KEM seeds synchronously
 * (`createPrivateKey({ format: "raw-seed" })`), and noble is plain JavaScript.
 *
 * @example
 * const backend = kemBackend("auto", "ML-KEM-768");
 * const seed = backend.generateSeed("ML-KEM-768");
 * const { ciphertext, sharedSecret } = backend.encapsulate("ML-KEM-768", backend.publicKey("ML-KEM-768", seed));
 * backend.decapsulate("ML-KEM-768", seed, ciphertext); // equals sharedSecret
 */
import { KEM_ALGORITHMS, type KemAlgorithm } from "../api/algorithms.ts";
import { describeValue } from "./describe-value.ts";

/** The name of a KEM implementation: node:crypto (OpenSSL 3.5) or `@noble/post-quantum`. */
export type KemBackendName = "native" | "noble";

/** What a sender gets from encapsulation: the ciphertext to send and the secret to keep. */
export interface Encapsulation {
  ciphertext: Uint8Array;
  sharedSecret: Uint8Array;
}

/**
 * One implementation of the KEMs. Every method validates its inputs and throws an Error naming the bad
 * parameter (`alg`, `seed`, `publicKey`, `ciphertext`); outputs are fresh `Uint8Array`s the caller owns.
 *
 * @example
 * const seed = backend.generateSeed("X-Wing");
 * const pk = backend.publicKey("X-Wing", seed); // 1216 bytes
 */
export interface KemBackend {
  readonly name: KemBackendName;
  /** Whether this backend implements `alg` in this runtime. */
  supports(alg: KemAlgorithm): boolean;
  /** A fresh random private-key seed for `alg`. */
  generateSeed(alg: KemAlgorithm): Uint8Array;
  /** The encapsulation (public) key derived from a seed. */
  publicKey(alg: KemAlgorithm, seed: Uint8Array): Uint8Array;
  /** A fresh shared secret and the ciphertext that carries it to the holder of `publicKey`. */
  encapsulate(alg: KemAlgorithm, publicKey: Uint8Array): Encapsulation;
  /** The shared secret inside `ciphertext` (a pseudo-random one if it was tampered with, per FIPS 203). */
  decapsulate(alg: KemAlgorithm, seed: Uint8Array, ciphertext: Uint8Array): Uint8Array;
}

/** Byte sizes of one KEM's seed, public key, ciphertext and shared secret. */
export interface KemSizes {
  seed: number;
  publicKey: number;
  ciphertext: number;
  sharedSecret: number;
}

/**
 * Sizes per algorithm (FIPS 203 table 3; X-Wing draft section 5.1), used to validate inputs before any
 * backend sees them, and by anything that stores or checks keys.
 *
 * @example
 * KEM_SIZES["ML-KEM-768"].publicKey; // 1184
 */
export const KEM_SIZES: Readonly<Record<KemAlgorithm, Readonly<KemSizes>>> = {
  "ML-KEM-512": { seed: 64, publicKey: 800, ciphertext: 768, sharedSecret: 32 },
  "ML-KEM-768": { seed: 64, publicKey: 1184, ciphertext: 1088, sharedSecret: 32 },
  "ML-KEM-1024": { seed: 64, publicKey: 1568, ciphertext: 1568, sharedSecret: 32 },
  "X-Wing": { seed: 32, publicKey: 1216, ciphertext: 1120, sharedSecret: 32 },
};

/**
 * Narrows an untrusted value to a known KEM algorithm, or throws an Error naming `alg`. Callers outside
 * TypeScript (a Secret's annotation, a CRD field) can pass anything, so every entry point calls this.
 *
 * @example
 * assertKemAlgorithm("ML-KEM-768"); // ok
 * assertKemAlgorithm("Kyber768"); // throws RangeError: `alg` must be one of ...
 */
export function assertKemAlgorithm(alg: unknown): asserts alg is KemAlgorithm {
  if (!(KEM_ALGORITHMS as readonly unknown[]).includes(alg)) {
    throw new RangeError(
      `\`alg\` must be one of ${KEM_ALGORITHMS.join(", ")}; got ${describeValue(alg, true)}`,
    );
  }
}

/** The parts of a KEM call that carry bytes, by parameter name. */
export type KemBytesParameter = "seed" | "publicKey" | "ciphertext";

/**
 * Checks that `value` is a `Uint8Array` of the size `alg` requires for parameter `name`, or throws an
 * Error naming the parameter, the algorithm and both sizes.
 *
 * @example
 * assertKemBytes("ML-KEM-768", "seed", new Uint8Array(64)); // ok
 * assertKemBytes("ML-KEM-768", "seed", new Uint8Array(32)); // throws RangeError: `seed` must be 64 bytes ...
 */
export function assertKemBytes(
  alg: KemAlgorithm,
  name: KemBytesParameter,
  value: unknown,
): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`\`${name}\` must be a Uint8Array; got ${describeValue(value, false)}`);
  }
  const expected = KEM_SIZES[alg][name];
  if (value.length !== expected) {
    throw new RangeError(
      `\`${name}\` must be ${expected} bytes for ${alg}; got ${value.length} bytes`,
    );
  }
}
