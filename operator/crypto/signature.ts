/**
 * The signature contract every crypto backend implements, the byte sizes of each ML-DSA parameter set, and
 * the input checks all entry points share. It mirrors the KEM contract in `kem.ts`.
 *
 * Private keys exist only as the 32-byte FIPS 204 seed ξ (the input to ML-DSA.KeyGen_internal): that is what
 * a workload's key file and the trust anchor's Secret store, and every operation re-derives the expanded key
 * from it. Signing is pure ML-DSA (FIPS 204 algorithm 2, not HashML-DSA) with an optional context string of
 * at most 255 bytes; X.509 (RFC 9881) and TLS use the empty context. Signatures are hedged (randomized) on
 * both backends, so two signatures of one message differ; both verify. The interface is synchronous because
 * both backends are: node:crypto's `sign`/`verify` without a callback, and noble is plain JavaScript.
 *
 * @example
 * const backend = signatureBackend("auto", "ML-DSA-65");
 * const seed = backend.generateSeed("ML-DSA-65");
 * const signature = backend.sign("ML-DSA-65", seed, message);
 * backend.verify("ML-DSA-65", backend.publicKey("ML-DSA-65", seed), message, signature); // true
 */
import { SIGNATURE_ALGORITHMS, type SignatureAlgorithm } from "../api/algorithms.ts";
import { describeValue } from "./describe-value.ts";

/**
 * The name of a signature implementation: node:crypto (OpenSSL 3.5) or `@noble/post-quantum`.
 *
 * @example
 * const name: SignatureBackendName = signatureBackend("auto", "ML-DSA-65").name; // "native"
 */
export type SignatureBackendName = "native" | "noble";

/**
 * One implementation of ML-DSA. Every method validates its inputs and throws an Error naming the bad
 * parameter (`alg`, `seed`, `publicKey`, `message`, `signature`, `context`); outputs are fresh
 * `Uint8Array`s the caller owns. `verify` throws for malformed input (a signature of the wrong length) and
 * returns false for a well-formed signature that does not verify.
 *
 * @example
 * const pk = backend.publicKey("ML-DSA-44", seed); // 1312 bytes
 * backend.verify("ML-DSA-44", pk, message, backend.sign("ML-DSA-44", seed, message)); // true
 */
export interface SignatureBackend {
  readonly name: SignatureBackendName;
  /** Whether this backend implements `alg` in this runtime. */
  supports(alg: SignatureAlgorithm): boolean;
  /** A fresh random private-key seed ξ for `alg` (32 bytes). */
  generateSeed(alg: SignatureAlgorithm): Uint8Array;
  /** The (public) verification key derived from a seed. */
  publicKey(alg: SignatureAlgorithm, seed: Uint8Array): Uint8Array;
  /** A hedged pure ML-DSA signature of `message` under `context` (default empty). */
  sign(
    alg: SignatureAlgorithm,
    seed: Uint8Array,
    message: Uint8Array,
    context?: Uint8Array,
  ): Uint8Array;
  /** Whether `signature` is a valid signature of `message` under `context` by `publicKey`'s holder. */
  verify(
    alg: SignatureAlgorithm,
    publicKey: Uint8Array,
    message: Uint8Array,
    signature: Uint8Array,
    context?: Uint8Array,
  ): boolean;
}

/**
 * Byte sizes of one ML-DSA parameter set's seed, public key and signature.
 *
 * @example
 * const { publicKey, signature }: SignatureSizes = SIGNATURE_SIZES["ML-DSA-44"]; // 1312, 2420
 */
export interface SignatureSizes {
  seed: number;
  publicKey: number;
  signature: number;
}

/**
 * Sizes per parameter set (FIPS 204 table 2), used to validate inputs before any backend sees them.
 *
 * @example
 * SIGNATURE_SIZES["ML-DSA-65"].signature; // 3309
 */
export const SIGNATURE_SIZES: Readonly<Record<SignatureAlgorithm, Readonly<SignatureSizes>>> = {
  "ML-DSA-44": { seed: 32, publicKey: 1312, signature: 2420 },
  "ML-DSA-65": { seed: 32, publicKey: 1952, signature: 3309 },
  "ML-DSA-87": { seed: 32, publicKey: 2592, signature: 4627 },
};

/**
 * The longest context string FIPS 204 allows, in bytes.
 *
 * @example
 * new TextEncoder().encode(context).length <= MAX_CONTEXT_BYTES;
 */
export const MAX_CONTEXT_BYTES = 255;

/**
 * Narrows an untrusted value to a known signature algorithm, or throws an Error naming the parameter
 * (`alg` unless `name` says otherwise, as for the X.509 modules' `algorithm` fields).
 *
 * @example
 * assertSignatureAlgorithm("ML-DSA-65"); // ok
 * assertSignatureAlgorithm("Dilithium3"); // throws RangeError: `alg` must be one of ...
 */
export function assertSignatureAlgorithm(
  alg: unknown,
  name = "alg",
): asserts alg is SignatureAlgorithm {
  if (!(SIGNATURE_ALGORITHMS as readonly unknown[]).includes(alg)) {
    throw new RangeError(
      `\`${name}\` must be one of ${SIGNATURE_ALGORITHMS.join(", ")}; got ${describeValue(alg, true)}`,
    );
  }
}

/**
 * The parts of a signature call that carry fixed-size bytes, by parameter name.
 *
 * @example
 * const name: SignatureBytesParameter = "publicKey";
 */
export type SignatureBytesParameter = "seed" | "publicKey" | "signature";

/**
 * Checks that `value` is a `Uint8Array` of the size `alg` requires for parameter `name`, or throws an Error
 * naming the parameter, the algorithm and both sizes.
 *
 * @example
 * assertSignatureBytes("ML-DSA-65", "seed", new Uint8Array(32)); // ok
 * assertSignatureBytes("ML-DSA-65", "seed", new Uint8Array(64)); // throws RangeError: `seed` must be 32 bytes ...
 */
export function assertSignatureBytes(
  alg: SignatureAlgorithm,
  name: SignatureBytesParameter,
  value: unknown,
): asserts value is Uint8Array {
  assertBytes(name, value);
  const expected = SIGNATURE_SIZES[alg][name];
  if (value.length !== expected) {
    throw new RangeError(
      `\`${name}\` must be ${expected} bytes for ${alg}; got ${value.length} bytes`,
    );
  }
}

/**
 * Checks a message (any length) and an optional context (at most 255 bytes), naming the bad one.
 *
 * @example
 * assertMessageAndContext(new Uint8Array(0), undefined); // ok
 * assertMessageAndContext(message, new Uint8Array(256)); // throws RangeError: `context` must be at most 255 bytes ...
 */
export function assertMessageAndContext(
  message: unknown,
  context: unknown,
): asserts message is Uint8Array {
  assertBytes("message", message);
  if (context === undefined) return;
  assertBytes("context", context);
  if (context.length > MAX_CONTEXT_BYTES) {
    throw new RangeError(
      `\`context\` must be at most ${MAX_CONTEXT_BYTES} bytes; got ${context.length} bytes`,
    );
  }
}

function assertBytes(name: string, value: unknown): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`\`${name}\` must be a Uint8Array; got ${describeValue(value, false)}`);
  }
}
