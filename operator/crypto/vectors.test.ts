// Published known-answer vectors (see testdata/vectors.ts for their sources) through our own API: seed in,
// public key and decapsulated secret out, on every backend that has the algorithm, and on the @hpke
// reference so the interop tests compare against something known to be right.
import { sha3_256 } from "@noble/hashes/sha3.js";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { ml_kem768_x25519 } from "@noble/post-quantum/hybrid.js";
import { describe, expect, it } from "vitest";
import { KEM_ALGORITHMS } from "../api/algorithms.ts";
import { KEM_BACKENDS } from "./backend.ts";
import { hpkePublicKey, hpkeSuite } from "./hpke.ts";
import { referenceKem } from "./testdata/reference-kem.ts";
import { KEM_VECTORS } from "./testdata/vectors.ts";

it("has a vector for every algorithm", () => {
  expect(KEM_VECTORS.map((v) => v.alg)).toEqual([...KEM_ALGORITHMS]);
});

describe.each(KEM_VECTORS)("$alg: $source", (vector) => {
  const seed = hexToBytes(vector.seed);
  const ciphertext = hexToBytes(vector.ciphertext);
  const backends = Object.values(KEM_BACKENDS).filter((backend) => backend.supports(vector.alg));

  it.each(backends)("$name derives the published public key", (backend) => {
    const publicKey = backend.publicKey(vector.alg, seed);
    expect(bytesToHex(sha3_256(publicKey))).toBe(vector.publicKeySha3);
  });

  it.each(backends)(`$name decapsulates to the published secret (${vector.path})`, (backend) => {
    const secret = backend.decapsulate(vector.alg, seed, ciphertext);
    expect(bytesToHex(secret)).toBe(vector.sharedSecret);
  });

  it("the @hpke reference derives the published public key and secret", async () => {
    const reference = referenceKem(vector.alg);
    expect(bytesToHex(sha3_256(await reference.publicKey(seed)))).toBe(vector.publicKeySha3);
    expect(bytesToHex(await reference.decapsulate(seed, ciphertext))).toBe(vector.sharedSecret);
  });
});

// Our interface has no caller-chosen encapsulation randomness (it must never be reused), so the X-Wing
// vector's eseed -> ciphertext step is checked on the libraries' own deterministic entry points.
describe("X-Wing derandomized encapsulation", () => {
  const vector = KEM_VECTORS.find((v) => v.alg === "X-Wing")!;
  const publicKey = KEM_BACKENDS.noble.publicKey("X-Wing", hexToBytes(vector.seed));
  const eseed = hexToBytes(vector.eseed!);

  it("noble reproduces the published ciphertext and secret", () => {
    const { cipherText, sharedSecret } = ml_kem768_x25519.encapsulate(publicKey, eseed);
    expect(bytesToHex(cipherText)).toBe(vector.ciphertext);
    expect(bytesToHex(sharedSecret)).toBe(vector.sharedSecret);
  });

  it("@hpke reproduces the published ciphertext and secret", async () => {
    const suite = hpkeSuite("X-Wing");
    const recipientPublicKey = await hpkePublicKey(suite, publicKey);
    const { enc, sharedSecret } = await suite.kem.encap({ recipientPublicKey, ekm: eseed });
    expect(bytesToHex(new Uint8Array(enc))).toBe(vector.ciphertext);
    expect(bytesToHex(new Uint8Array(sharedSecret))).toBe(vector.sharedSecret);
  });
});
