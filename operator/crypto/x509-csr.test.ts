import { webcrypto } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SIGNATURE_ALGORITHMS } from "../api/algorithms.ts";
import { SIGNATURE_SIZES } from "./signature.ts";
import { nativeSignature } from "./signature-native.ts";
import { nobleSignature } from "./signature-noble.ts";
import { createCsr, verifyCsr } from "./x509-csr.ts";
import { asn1Csr, AsnConvert, MAX_PEM_LENGTH, WEBCRYPTO, x509 } from "./x509-lib.ts";
import { signingKeyPair } from "./x509-keys.ts";
import { testAnchor } from "./testdata/identities.ts";

// PEM of `der` under `label`, as a client would send it.
function pem(der: ArrayBuffer | Uint8Array, label = "CERTIFICATE REQUEST"): string {
  return x509.PemConverter.encode(der instanceof Uint8Array ? der.slice().buffer : der, label);
}

describe.each(SIGNATURE_ALGORITHMS)("a %s request", (algorithm) => {
  const seed = nativeSignature.generateSeed(algorithm);

  it("verifies, yielding the workload's public key (as both backends derive it)", async () => {
    const verified = await verifyCsr(await createCsr({ key: { algorithm, seed } }));
    expect(verified.algorithm).toBe(algorithm);
    expect(verified.publicKey).toEqual(nobleSignature.publicKey(algorithm, seed));
    expect(verified.subject).toBe("");
  });

  it("is refused once its signature is tampered with", async () => {
    const der = new Uint8Array(
      x509.PemConverter.decodeFirst(await createCsr({ key: { algorithm, seed } })),
    );
    der[der.length - SIGNATURE_SIZES[algorithm].signature + 3]! ^= 0x01; // inside c~
    await expect(verifyCsr(pem(der))).rejects.toThrow(
      "`csr` signature does not verify: no proof of possession of the requested key",
    );
  });
});

describe("verifyCsr refuses", () => {
  const key = { algorithm: "ML-DSA-65" as const, seed: nativeSignature.generateSeed("ML-DSA-65") };

  it("a request for someone else's key (signed by another key)", async () => {
    const victim = signingKeyPair({ ...key, seed: nativeSignature.generateSeed("ML-DSA-65") });
    const csr = await x509.Pkcs10CertificateRequestGenerator.create(
      {
        name: "CN=victim",
        keys: { publicKey: victim.publicKey, privateKey: signingKeyPair(key).privateKey },
        signingAlgorithm: { name: "ML-DSA-65" },
      },
      WEBCRYPTO,
    );
    await expect(verifyCsr(csr.toString("pem"))).rejects.toThrow(/no proof of possession/);
  });

  it("a request whose key and signature are different ML-DSA parameter sets", async () => {
    const signer = {
      algorithm: "ML-DSA-87" as const,
      seed: nativeSignature.generateSeed("ML-DSA-87"),
    };
    const csr = await x509.Pkcs10CertificateRequestGenerator.create(
      {
        name: "",
        keys: {
          publicKey: signingKeyPair(key).publicKey,
          privateKey: signingKeyPair(signer).privateKey,
        },
        signingAlgorithm: { name: "ML-DSA-87" },
      },
      WEBCRYPTO,
    );
    await expect(verifyCsr(csr.toString("pem"))).rejects.toThrow(
      "`csr` holds an ML-DSA-65 key but is signed with ML-DSA-87",
    );
  });

  // A request re-signed by its own key after a change to what it says: only the change can refuse it.
  async function resigned(
    change: (request: asn1Csr.CertificationRequest) => void,
  ): Promise<string> {
    const der = x509.PemConverter.decodeFirst(await createCsr({ key }));
    const request = AsnConvert.parse(der, asn1Csr.CertificationRequest);
    change(request);
    const info = AsnConvert.serialize(request.certificationRequestInfo);
    request.certificationRequestInfoRaw = undefined;
    request.signature = await WEBCRYPTO.subtle.sign(
      { name: key.algorithm },
      signingKeyPair(key).privateKey,
      info,
    );
    return pem(AsnConvert.serialize(request));
  }

  it("a re-signed request as such, so the changes below are what refuses them", async () => {
    await expect(verifyCsr(await resigned(() => undefined))).resolves.toMatchObject({
      algorithm: "ML-DSA-65",
    });
  });

  it.each([
    ["NULL", [0x05, 0x00]],
    ["an OCTET STRING", [0x04, 0x01, 0x07]],
  ])(
    "a key whose algorithm identifier carries parameters (%s; RFC 9881: none)",
    async (_, bytes) => {
      const csr = await resigned((request) => {
        request.certificationRequestInfo.subjectPKInfo.algorithm.parameters = new Uint8Array(
          bytes,
        ).buffer;
      });
      await expect(verifyCsr(csr)).rejects.toThrow(
        "`csr` must request a certificate for an ML-DSA key",
      );
    },
  );

  it("a key of the wrong length for its parameter set", async () => {
    const csr = await resigned((request) => {
      const spki = request.certificationRequestInfo.subjectPKInfo;
      spki.subjectPublicKey = spki.subjectPublicKey.slice(0, 1312);
    });
    await expect(verifyCsr(csr)).rejects.toThrow(
      "`csr` must request a certificate for an ML-DSA key",
    );
  });

  it("an ECDSA request", async () => {
    const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
    const keys = await webcrypto.subtle.generateKey(algorithm, false, ["sign", "verify"]);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create(
      { name: "CN=classic", keys, signingAlgorithm: algorithm },
      WEBCRYPTO,
    );
    await expect(verifyCsr(csr.toString("pem"))).rejects.toThrow(
      "`csr` must be signed with ML-DSA; it is signed with ECDSA",
    );
  });

  it.each<[string, () => Promise<unknown>, RegExp]>([
    ["a number", () => Promise.resolve(42), /^`csr` must be a PEM string; got number/],
    [
      "text without PEM",
      () => Promise.resolve("hello"),
      /^`csr` must hold exactly one PEM CERTIFICATE REQUEST block; found none/,
    ],
    ["a certificate", async () => (await testAnchor()).certificate, /found CERTIFICATE$/],
    [
      "two requests",
      async () => (await createCsr({ key })) + (await createCsr({ key })),
      /found CERTIFICATE REQUEST, CERTIFICATE REQUEST/,
    ],
    [
      "a huge body",
      () => Promise.resolve("A".repeat(MAX_PEM_LENGTH + 1)),
      /^`csr` must be at most 65536 characters/,
    ],
    [
      "bytes that are not a request",
      () => Promise.resolve(pem(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]))),
      /^`csr` is not a valid PKCS#10/,
    ],
  ])("%s, naming `csr`", async (_, body, message) => {
    await expect(verifyCsr((await body()) as string)).rejects.toThrow(message);
  });
});

describe("createCsr", () => {
  it("puts an informational common name in the subject", async () => {
    const key = {
      algorithm: "ML-DSA-44" as const,
      seed: nativeSignature.generateSeed("ML-DSA-44"),
    };
    expect((await verifyCsr(await createCsr({ key, commonName: "search" }))).subject).toBe(
      "CN=search",
    );
  });

  it.each([
    ["`key`", { key: undefined }],
    ["`algorithm`", { key: { algorithm: "ML-DSA-99", seed: new Uint8Array(32) } }],
    ["`seed`", { key: { algorithm: "ML-DSA-65", seed: new Uint8Array(64) } }],
    [
      "`commonName`",
      { key: { algorithm: "ML-DSA-65", seed: new Uint8Array(32) }, commonName: "x".repeat(65) },
    ],
  ])("names %s", async (name, options) => {
    await expect(createCsr(options as never)).rejects.toThrow(name);
  });
});
