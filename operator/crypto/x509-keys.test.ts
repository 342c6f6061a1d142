// The seed <-> CryptoKey / PEM / SPKI conversions, and WebCrypto's ML-DSA (what @peculiar/x509 signs with)
// as a third implementation next to the two backends: each must accept what the others sign.
import { createPrivateKey, generateKeyPairSync, webcrypto } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SIGNATURE_ALGORITHMS } from "../api/algorithms.ts";
import { SIGNATURE_BACKENDS } from "./signature-backend.ts";
import {
  privateKeyPem,
  signingKeyPair,
  verificationCryptoKey,
  verificationKeyFromSpki,
  assertVerificationKey,
} from "./x509-keys.ts";

const message = new TextEncoder().encode("initialize");

describe.each(SIGNATURE_ALGORITHMS)("%s", (algorithm) => {
  const seed = SIGNATURE_BACKENDS.noble.generateSeed(algorithm);
  const publicKey = SIGNATURE_BACKENDS.noble.publicKey(algorithm, seed);
  const keys = signingKeyPair({ algorithm, seed });

  it("gives WebCrypto keys whose public half is the backends' public key", async () => {
    const spki = new Uint8Array(await webcrypto.subtle.exportKey("spki", keys.publicKey));
    expect(verificationKeyFromSpki(spki)).toEqual({ algorithm, publicKey });
    expect(keys.privateKey.extractable).toBe(false);
  });

  it.each(Object.values(SIGNATURE_BACKENDS))(
    "WebCrypto and $name verify each other's signatures",
    async (backend) => {
      const byWebCrypto = new Uint8Array(
        await webcrypto.subtle.sign({ name: algorithm }, keys.privateKey, message),
      );
      expect(backend.verify(algorithm, publicKey, message, byWebCrypto)).toBe(true);
      const byBackend = backend.sign(algorithm, seed, message);
      const verifier = verificationCryptoKey({ algorithm, publicKey });
      expect(await webcrypto.subtle.verify({ name: algorithm }, verifier, byBackend, message)).toBe(
        true,
      );
    },
  );

  it("writes a PKCS#8 PEM that OpenSSL reads back to the same seed", () => {
    const key = createPrivateKey(privateKeyPem({ algorithm, seed }));
    expect(key.asymmetricKeyType).toBe(algorithm.toLowerCase());
    expect(new Uint8Array(key.export({ format: "raw-seed" }))).toEqual(seed);
  });
});

describe("verificationKeyFromSpki refuses, naming `subjectPublicKeyInfo`", () => {
  it("an ECDSA key", () => {
    const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const spki = new Uint8Array(publicKey.export({ format: "der", type: "spki" }));
    expect(() => verificationKeyFromSpki(spki)).toThrow(
      "`subjectPublicKeyInfo` must hold an ML-DSA key; it holds ec",
    );
  });

  it("bytes that are no key", () => {
    expect(() => verificationKeyFromSpki(new Uint8Array([0x30, 0x00]))).toThrow(
      "`subjectPublicKeyInfo` is not a valid public key",
    );
  });
});

describe("the conversions check their input", () => {
  it.each([
    [
      "`algorithm` must be one of",
      () => signingKeyPair({ algorithm: "ML-DSA-99" as never, seed: new Uint8Array(32) }),
    ],
    [
      "`seed` must be 32 bytes for ML-DSA-65; got 64 bytes",
      () => privateKeyPem({ algorithm: "ML-DSA-65", seed: new Uint8Array(64) }),
    ],
    [
      "`publicKey` must be 2592 bytes for ML-DSA-87",
      () => verificationCryptoKey({ algorithm: "ML-DSA-87", publicKey: new Uint8Array(1) }),
    ],
    [
      "`publicKey` must be 1952 bytes for ML-DSA-65",
      () => assertVerificationKey({ algorithm: "ML-DSA-65", publicKey: new Uint8Array(2592) }),
    ],
  ])("%s", (message, call) => {
    expect(call).toThrow(message);
  });
});
