/**
 * Chooses the KEM backend for an algorithm. Crypto agility is configuration: the operator's `--kem-backend`
 * (or equivalent) is `native`, `noble` or `auto`, and `auto` takes node:crypto wherever this runtime has the
 * algorithm, noble everywhere else (X-Wing, older runtimes). That is also the faster choice for every
 * algorithm and operation: `bench/crypto.ts` measures native ahead of noble for each ML-KEM key generation
 * (3x–4x), encapsulation and decapsulation (6x–9x), so no per-algorithm exception is needed; a test
 * fails if `auto` ever leaves native for an algorithm native has.
 *
 * @example
 * kemBackend("auto", "ML-KEM-768").name; // "native" on Node >= 24.7
 * kemBackend("auto", "X-Wing").name; // "noble"
 */
import type { KemAlgorithm } from "../api/algorithms.ts";
import { assertKemAlgorithm, type KemBackend, type KemBackendName } from "./kem.ts";
import { nativeKem } from "./native.ts";
import { nobleKem } from "./noble.ts";

/** What a user may ask for: a backend by name, or `auto`. */
export type KemBackendChoice = KemBackendName | "auto";

/** Every accepted backend choice, for flag parsing and schemas. */
export const KEM_BACKEND_CHOICES: readonly KemBackendChoice[] = ["native", "noble", "auto"];

/**
 * Every backend by name, for code (and tests) that must run the same thing on each implementation.
 *
 * @example
 * for (const backend of Object.values(KEM_BACKENDS)) backend.supports("X-Wing");
 */
export const KEM_BACKENDS: Readonly<Record<KemBackendName, KemBackend>> = {
  native: nativeKem,
  noble: nobleKem,
};

/**
 * The backend to use for `alg`. Throws an Error naming `choice` for an unknown choice, and one naming `alg`
 * for an unknown algorithm or when `native` is asked for an algorithm this runtime lacks: an explicit
 * choice is never silently replaced.
 *
 * @example
 * const backend = kemBackend("noble", "ML-KEM-512");
 * const seed = backend.generateSeed("ML-KEM-512");
 */
export function kemBackend(choice: KemBackendChoice, alg: KemAlgorithm): KemBackend {
  assertKemAlgorithm(alg);
  switch (choice) {
    case "native":
      if (!nativeKem.supports(alg)) {
        throw new RangeError(
          `\`alg\` ${alg} is not available from the native backend in this runtime; choose noble or auto`,
        );
      }
      return nativeKem;
    case "noble":
      return nobleKem;
    case "auto":
      return nativeKem.supports(alg) ? nativeKem : nobleKem;
    default:
      throw new RangeError(
        `\`choice\` must be one of ${KEM_BACKEND_CHOICES.join(", ")}; got ${typeof choice}`,
      );
  }
}
