import { describe, expect, it } from "vitest";
import type { KemAlgorithm } from "../api/algorithms.ts";
import { keyMaterial, memoizedDeriver } from "./key-material.ts";

/** A deriver that counts its calls; its "public key" is the seed reversed, its id the first byte. */
function counting() {
  const calls = { publicKey: 0, keyId: 0 };
  return {
    calls,
    derive: {
      publicKey: (_alg: KemAlgorithm, seed: Uint8Array) => {
        calls.publicKey++;
        return Uint8Array.from(seed).reverse();
      },
      keyId: (alg: KemAlgorithm, pk: Uint8Array) => {
        calls.keyId++;
        return `${alg}-${pk[0]}`;
      },
    },
  };
}
const seed = (n: number) => Uint8Array.of(n, 1, 2, 3);

describe("memoizedDeriver", () => {
  it("derives each seed's public key and id once while it is remembered", () => {
    const { calls, derive } = counting();
    const memo = memoizedDeriver(derive, 8);
    const first = memo.publicKey("ML-KEM-768", seed(1));
    expect(memo.publicKey("ML-KEM-768", Uint8Array.from(seed(1)))).toBe(first);
    expect(memo.keyId("ML-KEM-768", first)).toBe("ML-KEM-768-3");
    expect(memo.keyId("ML-KEM-768", first)).toBe("ML-KEM-768-3");
    expect(calls).toEqual({ publicKey: 1, keyId: 1 });
  });

  it.each([
    ["another seed", "ML-KEM-768", seed(2)],
    ["the same seed under another algorithm", "ML-KEM-1024", seed(1)],
  ] as const)("derives again for %s", (_name, alg, other) => {
    const { calls, derive } = counting();
    const memo = memoizedDeriver(derive, 8);
    memo.publicKey("ML-KEM-768", seed(1));
    memo.publicKey(alg, other);
    expect(calls.publicKey).toBe(2);
  });

  it("does not answer one algorithm's id for another", () => {
    const { derive } = counting();
    const memo = memoizedDeriver(derive, 8);
    const pk = memo.publicKey("ML-KEM-768", seed(1));
    memo.keyId("ML-KEM-768", pk);
    expect(memo.keyId("ML-KEM-1024", pk)).toBe("ML-KEM-1024-3");
  });

  it("forgets the least recently used public key beyond its capacity", () => {
    const { calls, derive } = counting();
    const memo = memoizedDeriver(derive, 2);
    memo.publicKey("ML-KEM-768", seed(1));
    memo.publicKey("ML-KEM-768", seed(2));
    memo.publicKey("ML-KEM-768", seed(1)); // 1 is now the most recent
    memo.publicKey("ML-KEM-768", seed(3)); // forgets 2
    expect(calls.publicKey).toBe(3);
    memo.publicKey("ML-KEM-768", seed(1));
    expect(calls.publicKey).toBe(3);
    memo.publicKey("ML-KEM-768", seed(2));
    expect(calls.publicKey).toBe(4);
  });

  it.each([0, -1, 1.5])("refuses a capacity of %s", (capacity) => {
    expect(() => memoizedDeriver(counting().derive, capacity)).toThrow(/capacity/);
  });
});

describe("keyMaterial", () => {
  it("generates keys whose ids match what their seeds derive to", () => {
    const keys = keyMaterial("auto");
    const { id, seed: s } = keys.generate("ML-KEM-768");
    expect(keys.keyId("ML-KEM-768", keys.publicKey("ML-KEM-768", s))).toBe(id);
    // A fresh KeyMaterial (nothing remembered) agrees.
    const other = keyMaterial("auto");
    expect(other.keyId("ML-KEM-768", other.publicKey("ML-KEM-768", s))).toBe(id);
  });
});
