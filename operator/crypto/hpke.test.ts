import { Aes128Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256, KemId } from "@hpke/core";
import { describe, expect, it } from "vitest";
import { KEM_ALGORITHMS, type KemAlgorithm } from "../api/algorithms.ts";
import { KEM_BACKENDS } from "./backend.ts";
import { HPKE_KEM_IDS, hpkePrivateKey, hpkePublicKey, hpkeSuite } from "./hpke.ts";
import { KEM_SIZES } from "./kem.ts";
import { referenceKem } from "./testdata/reference-kem.ts";

const encoder = new TextEncoder();

describe("HPKE KEM ids", () => {
  it.each<[KemAlgorithm, number, number]>([
    ["ML-KEM-512", 0x0040, KemId.MlKem512],
    ["ML-KEM-768", 0x0041, KemId.MlKem768],
    ["ML-KEM-1024", 0x0042, KemId.MlKem1024],
    ["X-Wing", 0x647a, KemId.XWing],
  ])("%s is %i, as @hpke has it", (alg, id, hpkeId) => {
    expect(HPKE_KEM_IDS[alg]).toBe(id);
    expect(hpkeId).toBe(id);
    expect(hpkeSuite(alg).kem.id).toBe(id);
  });

  it("hpkeSuite names an unknown `alg`", () => {
    expect(() => hpkeSuite("X-Wing-2" as KemAlgorithm)).toThrow(/`alg`/);
  });
});

// Every backend with every algorithm it supports: keys made by our code, messages sealed and opened by @hpke.
const cases = Object.values(KEM_BACKENDS).flatMap((backend) =>
  KEM_ALGORITHMS.filter((alg) => backend.supports(alg)).map((alg) => ({ backend, alg })),
);

describe.each(cases)("$alg keys from $backend.name", ({ backend, alg }) => {
  const seed = backend.generateSeed(alg);
  const publicKey = backend.publicKey(alg, seed);
  const message = encoder.encode(`tools/call for ${alg}`);
  const aad = encoder.encode("mcp-server/weather");

  it("@hpke derives the same public key from the seed", async () => {
    expect(await referenceKem(alg).publicKey(seed)).toEqual(publicKey);
  });

  it("open, with the key imported from the seed, recovers what seal sent to the public key", async () => {
    const suite = hpkeSuite(alg);
    const recipientPublicKey = await hpkePublicKey(suite, publicKey);
    const { enc, ct } = await suite.seal({ recipientPublicKey }, message, aad);
    expect(new Uint8Array(enc)).toHaveLength(KEM_SIZES[alg].ciphertext);
    const recipientKey = await hpkePrivateKey(suite, seed);
    expect(new Uint8Array(await suite.open({ recipientKey, enc }, ct, aad))).toEqual(message);
  });

  it("open fails with another seed's key, or with other associated data", async () => {
    const suite = hpkeSuite(alg);
    const recipientPublicKey = await hpkePublicKey(suite, publicKey);
    const { enc, ct } = await suite.seal({ recipientPublicKey }, message, aad);
    const otherKey = await hpkePrivateKey(suite, backend.generateSeed(alg));
    await expect(suite.open({ recipientKey: otherKey, enc }, ct, aad)).rejects.toThrow();
    const recipientKey = await hpkePrivateKey(suite, seed);
    await expect(suite.open({ recipientKey, enc }, ct, encoder.encode("other"))).rejects.toThrow();
  });
});

describe("key import", () => {
  it.each(KEM_ALGORITHMS)("names a %s `seed` of the wrong size", async (alg) => {
    const suite = hpkeSuite(alg);
    const seed = new Uint8Array(KEM_SIZES[alg].seed + 1);
    await expect(hpkePrivateKey(suite, seed)).rejects.toThrow(/^`seed` must be \d+ bytes/);
  });

  it.each(KEM_ALGORITHMS)("names a %s `publicKey` of the wrong size", async (alg) => {
    const suite = hpkeSuite(alg);
    const publicKey = new Uint8Array(KEM_SIZES[alg].publicKey - 1);
    await expect(hpkePublicKey(suite, publicKey)).rejects.toThrow(/^`publicKey` must be \d+ bytes/);
  });

  it("names a `suite` whose KEM is not one of ours", async () => {
    const suite = new CipherSuite({
      kem: new DhkemX25519HkdfSha256(),
      kdf: new HkdfSha256(),
      aead: new Aes128Gcm(),
    });
    await expect(hpkePrivateKey(suite, new Uint8Array(32))).rejects.toThrow(/^`suite`/);
    await expect(hpkePublicKey(suite, new Uint8Array(32))).rejects.toThrow(/^`suite`/);
  });
});
