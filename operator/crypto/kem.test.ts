import { describe, expect, it } from "vitest";
import { KEM_ALGORITHMS } from "../api/algorithms.ts";
import { assertKemAlgorithm, assertKemBytes, KEM_SIZES } from "./kem.ts";

describe("assertKemAlgorithm", () => {
  it.each(KEM_ALGORITHMS)("accepts %s", (alg) => {
    expect(() => assertKemAlgorithm(alg)).not.toThrow();
  });

  it.each([
    ["ml-kem-768", 'got "ml-kem-768"'],
    ["Kyber768", 'got "Kyber768"'],
    [768, "got number"],
    [null, "got null"],
    [undefined, "got undefined"],
    [["ML-KEM-768"], "got an array"],
    [{ name: "ML-KEM-768" }, "got an object"],
    ["x".repeat(33), "got a string"],
  ])("names `alg` and says what it got for %j", (alg, got) => {
    expect(() => assertKemAlgorithm(alg)).toThrow(RangeError);
    expect(() => assertKemAlgorithm(alg)).toThrow(
      `\`alg\` must be one of ML-KEM-512, ML-KEM-768, ML-KEM-1024, X-Wing; ${got}`,
    );
  });
});

describe("assertKemBytes", () => {
  it.each(KEM_ALGORITHMS)("accepts %s inputs of the listed sizes, Buffers included", (alg) => {
    for (const name of ["seed", "publicKey", "ciphertext"] as const) {
      expect(() => assertKemBytes(alg, name, new Uint8Array(KEM_SIZES[alg][name]))).not.toThrow();
      expect(() => assertKemBytes(alg, name, Buffer.alloc(KEM_SIZES[alg][name]))).not.toThrow();
    }
  });

  it("names the parameter, the algorithm and both sizes", () => {
    expect(() => assertKemBytes("X-Wing", "ciphertext", new Uint8Array(1088))).toThrow(
      "`ciphertext` must be 1120 bytes for X-Wing; got 1088 bytes",
    );
  });

  it.each([
    [new Uint16Array(32), "got a Uint16Array"],
    [Array.from({ length: 32 }, () => 0), "got an array"],
    ["00".repeat(16), "got a string"],
    [undefined, "got undefined"],
  ])("rejects %s as not bytes without echoing it", (value, got) => {
    expect(() => assertKemBytes("X-Wing", "seed", value)).toThrow(TypeError);
    expect(() => assertKemBytes("X-Wing", "seed", value)).toThrow(
      `\`seed\` must be a Uint8Array; ${got}`,
    );
  });
});
