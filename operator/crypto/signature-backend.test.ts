import { describe, expect, it } from "vitest";
import { SIGNATURE_ALGORITHMS, type SignatureAlgorithm } from "../api/algorithms.ts";
import { SIGNATURE_SIZES } from "./signature.ts";
import {
  SIGNATURE_BACKENDS,
  signatureBackend,
  type SignatureBackendChoice,
} from "./signature-backend.ts";

describe("signatureBackend", () => {
  it.each<[SignatureBackendChoice, SignatureAlgorithm, string]>([
    ["auto", "ML-DSA-44", "native"],
    ["auto", "ML-DSA-65", "native"],
    ["auto", "ML-DSA-87", "native"],
    ["native", "ML-DSA-65", "native"],
    ["noble", "ML-DSA-65", "noble"],
  ])("%s for %s is %s", (choice, alg, name) => {
    expect(signatureBackend(choice, alg).name).toBe(name);
  });

  // bench/crypto.ts measures native (OpenSSL) 8x–10x faster than noble for every ML-DSA operation, so
  // `auto` must never leave native for a parameter set native has.
  it.each(SIGNATURE_ALGORITHMS)("auto for %s is native wherever native has it", (alg) => {
    const native = SIGNATURE_BACKENDS.native;
    expect(signatureBackend("auto", alg)).toBe(
      native.supports(alg) ? native : SIGNATURE_BACKENDS.noble,
    );
    expect(native.supports(alg)).toBe(true);
  });

  it("names `choice` when it is unknown", () => {
    expect(() => signatureBackend("fastest" as SignatureBackendChoice, "ML-DSA-65")).toThrow(
      /`choice`/,
    );
  });

  it.each<SignatureBackendChoice>(["native", "noble", "auto"])(
    "%s names `alg` when it is unknown",
    (choice) => {
      expect(() => signatureBackend(choice, "Dilithium3" as SignatureAlgorithm)).toThrow(
        /`alg` must be one of ML-DSA-44, ML-DSA-65, ML-DSA-87; got "Dilithium3"/,
      );
    },
  );
});

// Every backend with every algorithm.
const cases = Object.values(SIGNATURE_BACKENDS).flatMap((backend) =>
  SIGNATURE_ALGORITHMS.map((alg) => ({ backend, alg })),
);

describe.each(cases)("$backend.name $alg", ({ backend, alg }) => {
  const sizes = SIGNATURE_SIZES[alg];
  const seed = backend.generateSeed(alg);
  const publicKey = backend.publicKey(alg, seed);
  const message = new TextEncoder().encode("hello");
  const signature = backend.sign(alg, seed, message);

  it("generates seeds of the right size, different every time", () => {
    expect(seed).toHaveLength(sizes.seed);
    expect(backend.generateSeed(alg)).not.toEqual(seed);
  });

  it("returns plain Uint8Arrays of the published sizes", () => {
    for (const [bytes, size] of [
      [seed, sizes.seed],
      [publicKey, sizes.publicKey],
      [signature, sizes.signature],
    ] as const) {
      expect(Object.getPrototypeOf(bytes)).toBe(Uint8Array.prototype);
      expect(bytes).toHaveLength(size);
    }
  });

  it("derives the same public key from the same seed", () => {
    expect(backend.publicKey(alg, seed.slice())).toEqual(publicKey);
  });

  it("signs an empty message", () => {
    const empty = new Uint8Array(0);
    expect(backend.verify(alg, publicKey, empty, backend.sign(alg, seed, empty))).toBe(true);
  });

  it("leaves the caller's seed and message untouched", () => {
    const [seedCopy, messageCopy] = [seed.slice(), message.slice()];
    backend.sign(alg, seed, message);
    backend.publicKey(alg, seed);
    expect(seed).toEqual(seedCopy);
    expect(message).toEqual(messageCopy);
  });

  it.each([
    ["generateSeed", () => backend.generateSeed("" as SignatureAlgorithm)],
    ["publicKey", () => backend.publicKey("ML-DSA-2" as SignatureAlgorithm, seed)],
    ["sign", () => backend.sign(undefined as unknown as SignatureAlgorithm, seed, message)],
    [
      "verify",
      () => backend.verify("mldsa65" as SignatureAlgorithm, publicKey, message, signature),
    ],
  ])("%s names `alg` when it is unknown", (_, call) => {
    expect(call).toThrow(/`alg` must be one of ML-DSA-44, ML-DSA-65, ML-DSA-87/);
  });

  it.each([
    ["short", sizes.seed - 1],
    ["expanded-key sized", 64],
    ["empty", 0],
  ])("publicKey and sign name a %s `seed`", (_, length) => {
    const bad = new Uint8Array(length);
    const text = `\`seed\` must be ${sizes.seed} bytes for ${alg}; got ${length} bytes`;
    expect(() => backend.publicKey(alg, bad)).toThrow(text);
    expect(() => backend.sign(alg, bad, message)).toThrow(text);
  });

  it("names a `seed` that is not bytes, without echoing it", () => {
    const hexSeed = "ab".repeat(sizes.seed) as unknown as Uint8Array;
    expect(() => backend.sign(alg, hexSeed, message)).toThrow(TypeError);
    expect(() => backend.sign(alg, hexSeed, message)).toThrow(/^`seed` must be a Uint8Array/);
    expect(() => backend.sign(alg, hexSeed, message)).not.toThrow(/abab/);
  });

  it("names a `message` that is not bytes", () => {
    const text = "hello" as unknown as Uint8Array;
    expect(() => backend.sign(alg, seed, text)).toThrow(/^`message` must be a Uint8Array/);
    expect(() => backend.verify(alg, publicKey, text, signature)).toThrow(/^`message`/);
  });

  it("names a `context` that is too long or not bytes", () => {
    const long = new Uint8Array(256);
    const text = "`context` must be at most 255 bytes; got 256 bytes";
    expect(() => backend.sign(alg, seed, message, long)).toThrow(text);
    expect(() => backend.verify(alg, publicKey, message, signature, long)).toThrow(text);
    expect(() => backend.sign(alg, seed, message, [1] as unknown as Uint8Array)).toThrow(
      /^`context` must be a Uint8Array; got an array/,
    );
    const longest = new Uint8Array(255);
    expect(
      backend.verify(alg, publicKey, message, backend.sign(alg, seed, message, longest), longest),
    ).toBe(true);
  });

  it("names a `publicKey` of the wrong size", () => {
    expect(() => backend.verify(alg, publicKey.subarray(1), message, signature)).toThrow(
      `\`publicKey\` must be ${sizes.publicKey} bytes for ${alg}; got ${sizes.publicKey - 1} bytes`,
    );
  });

  it("names a `signature` of the wrong size", () => {
    const long = new Uint8Array(sizes.signature + 1);
    expect(() => backend.verify(alg, publicKey, message, long)).toThrow(
      `\`signature\` must be ${sizes.signature} bytes for ${alg}; got ${sizes.signature + 1} bytes`,
    );
  });

  it("returns false for a well-formed signature that is garbage", () => {
    const garbage = new Uint8Array(sizes.signature).fill(0xff);
    expect(backend.verify(alg, publicKey, message, garbage)).toBe(false);
  });
});
