/**
 * Chooses the signature backend for an algorithm, as `backend.ts` does for KEMs: `native`, `noble` or
 * `auto`, where `auto` takes node:crypto wherever this runtime has the algorithm and noble everywhere else,
 * the faster choice for every ML-DSA parameter set and operation (`bench/crypto.ts`: native 8x–10x ahead).
 *
 * @example
 * signatureBackend("auto", "ML-DSA-65").name; // "native" on Node >= 24.7
 * signatureBackend("noble", "ML-DSA-65").name; // "noble"
 */
import type { SignatureAlgorithm } from "../api/algorithms.ts";
import {
  assertSignatureAlgorithm,
  type SignatureBackend,
  type SignatureBackendName,
} from "./signature.ts";
import { nativeSignature } from "./signature-native.ts";
import { nobleSignature } from "./signature-noble.ts";

/**
 * What a user may ask for: a backend by name, or `auto`.
 *
 * @example
 * const choice: SignatureBackendChoice = "auto";
 */
export type SignatureBackendChoice = SignatureBackendName | "auto";

/**
 * Every accepted backend choice, for flag parsing and schemas.
 *
 * @example
 * SIGNATURE_BACKEND_CHOICES.includes(flag as SignatureBackendChoice);
 */
export const SIGNATURE_BACKEND_CHOICES: readonly SignatureBackendChoice[] = [
  "native",
  "noble",
  "auto",
];

/**
 * Every backend by name, for code (and tests) that must run the same thing on each implementation.
 *
 * @example
 * for (const backend of Object.values(SIGNATURE_BACKENDS)) backend.supports("ML-DSA-87");
 */
export const SIGNATURE_BACKENDS: Readonly<Record<SignatureBackendName, SignatureBackend>> = {
  native: nativeSignature,
  noble: nobleSignature,
};

/**
 * The backend to use for `alg`. Throws an Error naming `choice` for an unknown choice, and one naming `alg`
 * for an unknown algorithm or when `native` is asked for an algorithm this runtime lacks: an explicit
 * choice is never silently replaced.
 *
 * @example
 * const backend = signatureBackend("auto", "ML-DSA-87");
 * const seed = backend.generateSeed("ML-DSA-87");
 */
export function signatureBackend(
  choice: SignatureBackendChoice,
  alg: SignatureAlgorithm,
): SignatureBackend {
  assertSignatureAlgorithm(alg);
  switch (choice) {
    case "native":
      if (!nativeSignature.supports(alg)) {
        throw new RangeError(
          `\`alg\` ${alg} is not available from the native backend in this runtime; choose noble or auto`,
        );
      }
      return nativeSignature;
    case "noble":
      return nobleSignature;
    case "auto":
      return nativeSignature.supports(alg) ? nativeSignature : nobleSignature;
    default:
      throw new RangeError(
        `\`choice\` must be one of ${SIGNATURE_BACKEND_CHOICES.join(", ")}; got ${typeof choice}`,
      );
  }
}
