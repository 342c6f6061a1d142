/**
 * The two signature backends as the issuance benchmark uses them: their raw ML-DSA rates, measured as
 * bench/crypto.ts measures them, and a switch that routes the X.509 layer's WebCrypto ML-DSA `sign` (for
 * the anchor's key) and `verify` to noble for the `noble` row. The X.509 layer signs and verifies through
 * node's WebCrypto, that is OpenSSL, which `signatureBackend` does not reach; only this benchmark
 * reroutes it, and `useBackend("native", [])` puts WebCrypto back.
 *
 * @example
 * const raw = rawRates(); // [{ backend: "native", sign87, sign65, verify65 }, { backend: "noble", … }]
 * signRate87("native", 500); // the anchor's raw sign rate right now
 * useBackend("noble", [authority.anchor.key]);
 */
import { KeyObject, createPublicKey, webcrypto } from "node:crypto";
import { SIGNATURE_ALGORITHMS, type SignatureAlgorithm } from "../operator/api/algorithms.ts";
import {
  SIGNATURE_BACKENDS,
  nativeSignature,
  type SignatureBackendName,
  type SigningSeed,
} from "../operator/crypto/index.ts";
import { interleavedRates, opsPerSecond } from "./rate.ts";

/** One raw ML-DSA operation of one backend, on a 1 KiB message. */
function rawOp(backend: SignatureBackendName, alg: SignatureAlgorithm, op: "sign" | "verify") {
  const impl = SIGNATURE_BACKENDS[backend];
  const seed = impl.generateSeed(alg);
  const message = new Uint8Array(1024).fill(7);
  const publicKey = impl.publicKey(alg, seed);
  const signature = impl.sign(alg, seed, message);
  return op === "sign"
    ? () => impl.sign(alg, seed, message)
    : () => impl.verify(alg, publicKey, message, signature);
}

/**
 * Raw rates of the operations one issuance performs, both backends interleaved as bench/crypto.ts
 * measures them (1 s per backend and operation, 5 rounds, median round).
 *
 * @example
 * rawRates().find((r) => r.backend === "native")!.sign87; // ML-DSA-87 signatures per second
 */
export function rawRates() {
  const both = (alg: SignatureAlgorithm, op: "sign" | "verify") =>
    interleavedRates({ native: rawOp("native", alg, op), noble: rawOp("noble", alg, op) }, 1, 5);
  const [sign87, sign65, verify65] = [
    both("ML-DSA-87", "sign"),
    both("ML-DSA-65", "sign"),
    both("ML-DSA-65", "verify"),
  ];
  return (["native", "noble"] as const).map((backend) => ({
    backend,
    sign87: sign87[backend]!,
    sign65: sign65[backend]!,
    verify65: verify65[backend]!,
  }));
}

/**
 * The raw ML-DSA-87 sign rate of `backend` now, over `ms` milliseconds (after a tenth of that to warm up):
 * the anchor's signature, measured beside each row of the benchmark.
 *
 * @example
 * signRate87("native", 500); // signatures per second
 */
export function signRate87(backend: SignatureBackendName, ms: number): number {
  const sign = rawOp(backend, "ML-DSA-87", "sign");
  opsPerSecond(sign, ms / 10);
  return opsPerSecond(sign, ms);
}

// WebCrypto's ML-DSA sign/verify, routed to noble for the `noble` row (see the module notes).
type Subtle = Record<"sign" | "verify", (...args: never[]) => Promise<unknown>>;
const subtle = webcrypto.subtle as unknown as Subtle;
const original = { sign: subtle.sign.bind(subtle), verify: subtle.verify.bind(subtle) };
const bytes = (data: ArrayBuffer | ArrayBufferView) =>
  ArrayBuffer.isView(data)
    ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    : new Uint8Array(data);
const rawPublic = (key: webcrypto.CryptoKey) =>
  Buffer.from(createPublicKey(KeyObject.from(key)).export({ format: "raw-public" })).toString(
    "hex",
  );

/**
 * Routes the X.509 layer's WebCrypto ML-DSA to `backend`: noble signs for the `signers` (matched by public
 * key) and verifies everything; native restores WebCrypto as it was.
 *
 * @example
 * useBackend("noble", [authority.anchor.key]);
 * useBackend("native", []);
 */
export function useBackend(backend: SignatureBackendName, signers: SigningSeed[]): void {
  if (backend === "native") return void Object.assign(subtle, original);
  const noble = SIGNATURE_BACKENDS.noble;
  const seeds = new Map(
    signers.map((s) => [
      Buffer.from(nativeSignature.publicKey(s.algorithm, s.seed)).toString("hex"),
      s,
    ]),
  );
  const mlDsa = (alg: { name?: string } | string) => {
    const name = typeof alg === "string" ? alg : alg.name;
    return (SIGNATURE_ALGORITHMS as readonly (string | undefined)[]).includes(name)
      ? (name as SignatureAlgorithm)
      : undefined;
  };
  Object.assign(subtle, {
    sign: (alg: { name?: string }, key: webcrypto.CryptoKey, data: ArrayBuffer) => {
      const name = mlDsa(alg);
      const signer = name && seeds.get(rawPublic(key));
      if (!name || !signer) return original.sign(alg as never, key as never, data as never);
      return Promise.resolve(noble.sign(name, signer.seed, bytes(data)).slice().buffer);
    },
    verify: (
      alg: { name?: string },
      key: webcrypto.CryptoKey,
      signature: ArrayBuffer,
      data: ArrayBuffer,
    ) => {
      const name = mlDsa(alg);
      if (!name)
        return original.verify(alg as never, key as never, signature as never, data as never);
      const publicKey = new Uint8Array(KeyObject.from(key).export({ format: "raw-public" }));
      return Promise.resolve(noble.verify(name, publicKey, bytes(data), bytes(signature)));
    },
  });
}
