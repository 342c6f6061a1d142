import { describe, expect, it } from "vitest";
import { KEM_ALGORITHMS, type KemAlgorithm } from "../api/algorithms.ts";
import { KEM_BACKENDS, kemBackend, type KemBackendChoice } from "./backend.ts";
import { KEM_SIZES } from "./kem.ts";
import { nativeKem } from "./native.ts";
import { nobleKem } from "./noble.ts";

const ML_KEMS = ["ML-KEM-512", "ML-KEM-768", "ML-KEM-1024"] as const;

describe("what each backend supports", () => {
  // The project pins Node >= 24.7, whose OpenSSL 3.5 has ML-KEM; the interop tests rely on it.
  it.each(ML_KEMS)("native has %s in this runtime", (alg) => {
    expect(nativeKem.supports(alg)).toBe(true);
  });

  it("native has no X-Wing", () => {
    expect(nativeKem.supports("X-Wing")).toBe(false);
  });

  it.each(KEM_ALGORITHMS)("noble has %s", (alg) => {
    expect(nobleKem.supports(alg)).toBe(true);
  });

  it.each(Object.values(KEM_BACKENDS))("$name.supports rejects an unknown algorithm", (backend) => {
    expect(() => backend.supports("Kyber768" as KemAlgorithm)).toThrow(/`alg`.*"Kyber768"/);
  });
});

describe("kemBackend", () => {
  it.each<[KemBackendChoice, KemAlgorithm, string]>([
    ["auto", "ML-KEM-512", "native"],
    ["auto", "ML-KEM-768", "native"],
    ["auto", "ML-KEM-1024", "native"],
    ["auto", "X-Wing", "noble"],
    ["native", "ML-KEM-768", "native"],
    ["noble", "ML-KEM-768", "noble"],
    ["noble", "X-Wing", "noble"],
  ])("%s for %s is %s", (choice, alg, name) => {
    expect(kemBackend(choice, alg).name).toBe(name);
  });

  // bench/crypto.ts measures native (OpenSSL) faster than noble for every ML-KEM operation (keygen 3x–4x,
  // encapsulation and decapsulation 6x–9x), so `auto` must never leave native for an algorithm native has.
  it.each(KEM_ALGORITHMS)(
    "auto for %s is native wherever native has it, noble only otherwise",
    (alg) => {
      expect(kemBackend("auto", alg)).toBe(nativeKem.supports(alg) ? nativeKem : nobleKem);
    },
  );

  it("refuses native for X-Wing instead of silently using noble", () => {
    expect(() => kemBackend("native", "X-Wing")).toThrow(/`alg` X-Wing .*native/);
  });

  it("names `choice` when it is unknown", () => {
    expect(() => kemBackend("fastest" as KemBackendChoice, "ML-KEM-768")).toThrow(/`choice`/);
  });

  it.each<KemBackendChoice>(["native", "noble", "auto"])(
    "%s names `alg` when it is unknown",
    (c) => {
      expect(() => kemBackend(c, "ML-KEM-2048" as KemAlgorithm)).toThrow(/`alg`/);
    },
  );
});

// Every backend with every algorithm it supports.
const cases = Object.values(KEM_BACKENDS).flatMap((backend) =>
  KEM_ALGORITHMS.filter((alg) => backend.supports(alg)).map((alg) => ({ backend, alg })),
);

describe.each(cases)("$backend.name $alg", ({ backend, alg }) => {
  const sizes = KEM_SIZES[alg];
  const seed = backend.generateSeed(alg);
  const publicKey = backend.publicKey(alg, seed);
  const { ciphertext } = backend.encapsulate(alg, publicKey);

  it("generates seeds of the right size, different every time", () => {
    expect(seed).toHaveLength(sizes.seed);
    expect(backend.generateSeed(alg)).not.toEqual(seed);
  });

  it("returns plain Uint8Arrays of the published sizes", () => {
    const { sharedSecret } = backend.encapsulate(alg, publicKey);
    const secret = backend.decapsulate(alg, seed, ciphertext);
    for (const [bytes, size] of [
      [seed, sizes.seed],
      [publicKey, sizes.publicKey],
      [ciphertext, sizes.ciphertext],
      [sharedSecret, sizes.sharedSecret],
      [secret, sizes.sharedSecret],
    ] as const) {
      expect(Object.getPrototypeOf(bytes)).toBe(Uint8Array.prototype);
      expect(bytes).toHaveLength(size);
    }
  });

  it("derives the same public key from the same seed", () => {
    expect(backend.publicKey(alg, seed.slice())).toEqual(publicKey);
  });

  it("leaves the caller's seed and ciphertext untouched", () => {
    const [seedCopy, ciphertextCopy] = [seed.slice(), ciphertext.slice()];
    backend.publicKey(alg, seed);
    backend.decapsulate(alg, seed, ciphertext);
    expect(seed).toEqual(seedCopy);
    expect(ciphertext).toEqual(ciphertextCopy);
  });

  it.each([
    ["publicKey", () => backend.publicKey("ML-KEM-9" as KemAlgorithm, seed)],
    ["generateSeed", () => backend.generateSeed("" as KemAlgorithm)],
    ["encapsulate", () => backend.encapsulate("mlkem768" as KemAlgorithm, publicKey)],
    [
      "decapsulate",
      () => backend.decapsulate(undefined as unknown as KemAlgorithm, seed, ciphertext),
    ],
  ])("%s names `alg` when it is unknown", (_, call) => {
    expect(call).toThrow(/`alg` must be one of ML-KEM-512, ML-KEM-768, ML-KEM-1024, X-Wing/);
  });

  it.each([
    ["short", sizes.seed - 1],
    ["long", sizes.seed + 1],
    ["empty", 0],
  ])("publicKey and decapsulate name a %s `seed`", (_, length) => {
    const bad = new Uint8Array(length);
    const message = `\`seed\` must be ${sizes.seed} bytes for ${alg}; got ${length} bytes`;
    expect(() => backend.publicKey(alg, bad)).toThrow(message);
    expect(() => backend.decapsulate(alg, bad, ciphertext)).toThrow(message);
  });

  it("names a `seed` that is not bytes, without echoing it", () => {
    const hexSeed = "ab".repeat(sizes.seed);
    expect(() => backend.publicKey(alg, hexSeed as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => backend.publicKey(alg, hexSeed as unknown as Uint8Array)).toThrow(/^`seed`/);
    expect(() => backend.publicKey(alg, hexSeed as unknown as Uint8Array)).not.toThrow(/abab/);
  });

  it("names a `publicKey` of the wrong size", () => {
    expect(() => backend.encapsulate(alg, publicKey.subarray(1))).toThrow(
      `\`publicKey\` must be ${sizes.publicKey} bytes for ${alg}; got ${sizes.publicKey - 1} bytes`,
    );
  });

  it("names a `publicKey` that fails the FIPS 203 modulus check", () => {
    // Every 12-bit coefficient 0xfff is >= q = 3329.
    expect(() => backend.encapsulate(alg, new Uint8Array(sizes.publicKey).fill(0xff))).toThrow(
      `\`publicKey\` is not a valid ${alg} encapsulation key`,
    );
  });

  it("names a `ciphertext` of the wrong size", () => {
    const long = new Uint8Array(sizes.ciphertext + 1);
    expect(() => backend.decapsulate(alg, seed, long)).toThrow(
      `\`ciphertext\` must be ${sizes.ciphertext} bytes for ${alg}; got ${sizes.ciphertext + 1} bytes`,
    );
  });
});

describe("native without X-Wing", () => {
  const seed = nobleKem.generateSeed("X-Wing");
  const publicKey = nobleKem.publicKey("X-Wing", seed);
  it.each([
    ["generateSeed", () => nativeKem.generateSeed("X-Wing")],
    ["publicKey", () => nativeKem.publicKey("X-Wing", seed)],
    ["encapsulate", () => nativeKem.encapsulate("X-Wing", publicKey)],
    ["decapsulate", () => nativeKem.decapsulate("X-Wing", seed, new Uint8Array(1120))],
  ])("%s names `alg`", (_, call) => {
    expect(call).toThrow(/`alg` X-Wing is not available from the native backend/);
  });
});
