// Published ML-DSA known-answer vectors (see testdata/signature-vectors.ts for their source) through our own
// API: seed in, public key out, and the published signature verified, on every backend. Our interface signs
// hedged (randomized) only, so the vector's deterministic signature is reproduced on noble's own entry point
// (`extraEntropy: false`), as vectors.test.ts does for X-Wing's derandomized encapsulation; matching the
// published hash proves those are the published bytes, which both backends must then accept.
import { sha3_256 } from "@noble/hashes/sha3.js";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { ml_dsa44, ml_dsa65, ml_dsa87 } from "@noble/post-quantum/ml-dsa.js";
import { describe, expect, it } from "vitest";
import { SIGNATURE_ALGORITHMS } from "../api/algorithms.ts";
import { SIGNATURE_BACKENDS } from "./signature-backend.ts";
import { SIGNATURE_VECTORS } from "./testdata/signature-vectors.ts";

const DETERMINISTIC = { "ML-DSA-44": ml_dsa44, "ML-DSA-65": ml_dsa65, "ML-DSA-87": ml_dsa87 };

it("has a vector for every algorithm", () => {
  expect(new Set(SIGNATURE_VECTORS.map((v) => v.alg))).toEqual(new Set(SIGNATURE_ALGORITHMS));
});

describe.each(SIGNATURE_VECTORS)("$alg: $source", (vector) => {
  const seed = hexToBytes(vector.seed);
  const message = hexToBytes(vector.message);
  const context = vector.context === undefined ? undefined : hexToBytes(vector.context);
  const backends = Object.values(SIGNATURE_BACKENDS).filter((b) => b.supports(vector.alg));
  const { secretKey } = DETERMINISTIC[vector.alg].keygen(seed);
  const signature = DETERMINISTIC[vector.alg].sign(message, secretKey, {
    extraEntropy: false,
    ...(context === undefined ? {} : { context }),
  });

  it("runs on both backends", () => {
    expect(backends.map((b) => b.name)).toEqual(["native", "noble"]);
  });

  it("noble's deterministic signing reproduces the published signature", () => {
    expect(bytesToHex(sha3_256(signature))).toBe(vector.signatureSha3);
  });

  it.each(backends)("$name derives the published public key", (backend) => {
    const publicKey = backend.publicKey(vector.alg, seed);
    expect(bytesToHex(sha3_256(publicKey))).toBe(vector.publicKeySha3);
  });

  it.each(backends)("$name verifies the published signature", (backend) => {
    const publicKey = backend.publicKey(vector.alg, seed);
    expect(backend.verify(vector.alg, publicKey, message, signature, context)).toBe(true);
  });

  it.each(backends)("$name rejects it under another context", (backend) => {
    const publicKey = backend.publicKey(vector.alg, seed);
    const other = context === undefined ? new Uint8Array([0]) : undefined;
    expect(backend.verify(vector.alg, publicKey, message, signature, other)).toBe(false);
  });
});
