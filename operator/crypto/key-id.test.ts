import { hexToBytes } from "@noble/hashes/utils.js";
import { describe, expect, it } from "vitest";
import { KEM_ALGORITHMS, type KemAlgorithm } from "../api/algorithms.ts";
import { nobleKem } from "./noble.ts";
import { KEM_SIZES } from "./kem.ts";
import { KEY_ID_PATTERN, KEY_ID_TAGS, keyId } from "./key-id.ts";
import { KEM_VECTORS } from "./testdata/vectors.ts";

describe("keyId", () => {
  // Expected ids are the tag plus the first 16 hex digits of the published keys' SHA3-256, so they do not
  // depend on this code or on any backend.
  it.each(KEM_VECTORS)("is stable for the published $alg key", (vector) => {
    const publicKey = nobleKem.publicKey(vector.alg, hexToBytes(vector.seed));
    expect(keyId(vector.alg, publicKey)).toBe(
      `${KEY_ID_TAGS[vector.alg]}-${vector.publicKeySha3.slice(0, 16)}`,
    );
  });

  it("matches the worked examples", () => {
    const [mlkem512, mlkem768, mlkem1024, xwing] = KEM_VECTORS.map((v) =>
      keyId(v.alg, nobleKem.publicKey(v.alg, hexToBytes(v.seed))),
    );
    expect([mlkem512, mlkem768, mlkem1024, xwing]).toEqual([
      "mlkem512-50c8dd152a4531aa",
      "mlkem768-1369c4700afc1f44",
      "mlkem1024-b955809aaedf3b1e",
      "xwing-5121745904643ad9",
    ]);
  });

  it.each(KEM_ALGORITHMS)("gives %s keys well-formed ids with the algorithm's tag", (alg) => {
    const id = keyId(alg, nobleKem.publicKey(alg, nobleKem.generateSeed(alg)));
    expect(id).toMatch(KEY_ID_PATTERN);
    expect(id.startsWith(`${KEY_ID_TAGS[alg]}-`)).toBe(true);
  });

  it.each(KEM_ALGORITHMS)("gives distinct %s keys distinct ids", (alg) => {
    const ids = new Set(
      Array.from({ length: 8 }, () =>
        keyId(alg, nobleKem.publicKey(alg, nobleKem.generateSeed(alg))),
      ),
    );
    expect(ids.size).toBe(8);
  });

  it.each(KEM_ALGORITHMS)("changes when any bit of a %s key changes", (alg) => {
    const publicKey = nobleKem.publicKey(alg, nobleKem.generateSeed(alg));
    const flipped = publicKey.slice();
    flipped[flipped.length - 1]! ^= 0x80;
    expect(keyId(alg, flipped)).not.toBe(keyId(alg, publicKey));
  });

  it("has a distinct tag per algorithm, each accepted by the pattern", () => {
    const tags = KEM_ALGORITHMS.map((alg) => KEY_ID_TAGS[alg]);
    expect(new Set(tags).size).toBe(KEM_ALGORITHMS.length);
    for (const tag of tags) expect(`${tag}-0123456789abcdef`).toMatch(KEY_ID_PATTERN);
  });

  it.each(["mlkem768-0123456789ABCDEF", "mlkem768-0123456789abcde", "kyber-0123456789abcdef", ""])(
    "the pattern rejects %j",
    (id) => {
      expect(id).not.toMatch(KEY_ID_PATTERN);
    },
  );

  it("names an unknown `alg`", () => {
    expect(() => keyId("ML-KEM" as KemAlgorithm, new Uint8Array(1184))).toThrow(/`alg`/);
  });

  it.each(KEM_ALGORITHMS)("names a `publicKey` of the wrong size for %s", (alg) => {
    const wrong = new Uint8Array(KEM_SIZES[alg].publicKey + 32);
    expect(() => keyId(alg, wrong)).toThrow(/^`publicKey` must be \d+ bytes/);
  });

  it("names a `publicKey` that is not bytes", () => {
    expect(() => keyId("X-Wing", "00".repeat(1216) as unknown as Uint8Array)).toThrow(TypeError);
  });
});
