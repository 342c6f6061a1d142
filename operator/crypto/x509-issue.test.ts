// Trust anchors and workload certificates, made with @peculiar/x509 and read back by OpenSSL (node:crypto's
// X509Certificate), an independent implementation: what one writes, the other must accept.
import { X509Certificate, createPrivateKey } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { nativeSignature } from "./signature-native.ts";
import { createCaCertificate } from "./x509-ca.ts";
import { createCsr, verifyCsr } from "./x509-csr.ts";
import { issueCertificate, type IssueOptions } from "./x509-issue.ts";
import { asn1X509, AsnConvert, WEBCRYPTO, x509 } from "./x509-lib.ts";
import { privateKeyPem, signingKeyPair, verificationCryptoKey } from "./x509-keys.ts";
import { HOUR_MS, testAnchor, testWorkload, type TestAnchor } from "./testdata/identities.ts";

const OID_ML_DSA_87 = "2.16.840.1.101.3.4.3.19";
const SPIFFE_ID = "spiffe://cluster.local/ns/mcp/sa/search";

describe("createCaCertificate", () => {
  const notBefore = new Date("2026-03-01T00:00:00Z");
  const notAfter = new Date("2027-03-01T00:00:00Z");
  const key = { algorithm: "ML-DSA-87" as const, seed: nativeSignature.generateSeed("ML-DSA-87") };
  const options = { key, trustDomain: "cluster.local", notBefore, notAfter };

  it("makes a self-signed ML-DSA-87 CA that OpenSSL reads and verifies", async () => {
    const ca = new X509Certificate(await createCaCertificate(options));
    expect(ca.ca).toBe(true);
    expect(ca.signatureAlgorithmOid).toBe(OID_ML_DSA_87);
    expect(ca.publicKey.asymmetricKeyType).toBe("ml-dsa-87");
    expect(new Uint8Array(ca.publicKey.export({ format: "raw-public" }))).toEqual(
      nativeSignature.publicKey("ML-DSA-87", key.seed),
    );
    expect(ca.checkIssued(ca)).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
    expect(ca.subject).toBe("CN=LatticeGuard trust anchor\nO=cluster.local");
    expect(ca.subjectAltName).toBe("URI:spiffe://cluster.local");
    expect([ca.validFromDate, ca.validToDate]).toEqual([notBefore, notAfter]);
  });

  it("sets the CA profile: cA with path length 0, keyCertSign and cRLSign, a key identifier", async () => {
    const ca = new x509.X509Certificate(await createCaCertificate(options));
    const constraints = ca.getExtension(x509.BasicConstraintsExtension)!;
    expect([constraints.ca, constraints.pathLength, constraints.critical]).toEqual([true, 0, true]);
    const usage = ca.getExtension(x509.KeyUsagesExtension)!;
    expect(usage.usages).toBe(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
    expect(usage.critical).toBe(true);
    expect(ca.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId).toMatch(/^[0-9a-f]{40}$/);
  });

  it("gives every certificate a fresh 16-byte positive serial", async () => {
    const serials = await Promise.all([1, 2, 3].map(() => createCaCertificate(options)));
    const hex = serials.map((pem) => new X509Certificate(pem).serialNumber);
    for (const serial of hex) expect(serial).toMatch(/^[4-7][0-9A-F]{31}$/);
    expect(new Set(hex).size).toBe(3);
  });

  it.each([
    ["`trustDomain`", { trustDomain: "Cluster.Local" }],
    ["`notAfter` must be later", { notAfter: notBefore }],
    ["`notBefore` must be a valid Date", { notBefore: new Date("nope") }],
    ["`seed` must be 32 bytes", { key: { ...key, seed: new Uint8Array(31) } }],
    ["`algorithm` must be one of", { key: { ...key, algorithm: "Dilithium5" } }],
    ["`commonName`", { commonName: "" }],
  ])("names %s", async (message, change) => {
    await expect(createCaCertificate({ ...options, ...change } as never)).rejects.toThrow(message);
  });
});

describe("issueCertificate", () => {
  const now = new Date();
  let anchor: TestAnchor;
  let options: IssueOptions;
  const workloadKey = {
    algorithm: "ML-DSA-65" as const,
    seed: nativeSignature.generateSeed("ML-DSA-65"),
  };

  beforeAll(async () => {
    anchor = await testAnchor({ now });
    options = {
      issuer: { certificate: anchor.certificate, key: anchor.key },
      subjectKey: await verifyCsr(await createCsr({ key: workloadKey })),
      spiffeId: SPIFFE_ID,
      dnsNames: ["search.mcp.svc", "search.mcp.svc.cluster.local"],
      notBefore: now,
      notAfter: new Date(now.getTime() + HOUR_MS),
    };
  });

  it("issues a leaf that OpenSSL verifies against the anchor, with the workload's names", async () => {
    const leaf = new X509Certificate(await issueCertificate(options));
    const ca = new X509Certificate(anchor.certificate);
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.signatureAlgorithmOid).toBe(OID_ML_DSA_87);
    expect(leaf.publicKey.asymmetricKeyType).toBe("ml-dsa-65");
    expect(leaf.checkPrivateKey(createPrivateKey(privateKeyPem(workloadKey)))).toBe(true);
    expect(leaf.subject).toBeUndefined(); // an empty subject: the SPIFFE ID is the identity
    expect(leaf.subjectAltName).toBe(
      `URI:${SPIFFE_ID}, DNS:search.mcp.svc, DNS:search.mcp.svc.cluster.local`,
    );
    expect(leaf.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]); // serverAuth, clientAuth
    expect(leaf.checkHost("search.mcp.svc")).toBe("search.mcp.svc");
    expect(leaf.validFromDate.getTime()).toBe(Math.floor(now.getTime() / 1000) * 1000);
    expect(leaf.validToDate.getTime() - leaf.validFromDate.getTime()).toBe(HOUR_MS);
  });

  it("sets the leaf profile: critical cA false, digitalSignature only, critical SAN, matching key ids", async () => {
    const leaf = new x509.X509Certificate(await issueCertificate(options));
    const ca = new x509.X509Certificate(anchor.certificate);
    const constraints = leaf.getExtension(x509.BasicConstraintsExtension)!;
    expect([constraints.ca, constraints.critical]).toEqual([false, true]);
    const usage = leaf.getExtension(x509.KeyUsagesExtension)!;
    expect([usage.usages, usage.critical]).toEqual([x509.KeyUsageFlags.digitalSignature, true]);
    expect(leaf.getExtension(x509.SubjectAlternativeNameExtension)?.critical).toBe(true);
    expect(leaf.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId).toBe(
      ca.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId,
    );
    expect(leaf.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId).toMatch(/^[0-9a-f]{40}$/);
  });

  it("makes, but for the serial and the signature, the certificate @peculiar/x509's generator makes", async () => {
    const ca = new x509.X509Certificate(anchor.certificate);
    const publicKey = verificationCryptoKey(options.subjectKey);
    const reference = await x509.X509CertificateGenerator.create(
      {
        serialNumber: "01",
        subject: [],
        issuer: ca.subjectName,
        notBefore: options.notBefore,
        notAfter: options.notAfter,
        publicKey,
        signingKey: signingKeyPair(anchor.key).privateKey,
        signingAlgorithm: { name: anchor.key.algorithm },
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension(
            [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth],
            false,
          ),
          new x509.SubjectAlternativeNameExtension(
            [
              { type: "url", value: SPIFFE_ID },
              ...options.dnsNames!.map((value) => ({ type: "dns" as const, value })),
            ],
            true,
          ),
          new x509.AuthorityKeyIdentifierExtension(
            ca.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId,
            false,
          ),
          await x509.SubjectKeyIdentifierExtension.create(publicKey, false, WEBCRYPTO),
        ],
      },
      WEBCRYPTO,
    );
    const tbs = (pem: string | ArrayBuffer) => {
      const { tbsCertificate } = AsnConvert.parse(
        typeof pem === "string" ? x509.PemConverter.decodeFirst(pem) : pem,
        asn1X509.Certificate,
      );
      tbsCertificate.serialNumber = new Uint8Array([1]).buffer;
      return Buffer.from(AsnConvert.serialize(tbsCertificate)).toString("hex");
    };
    const ours = await issueCertificate(options);
    expect(tbs(ours)).toBe(tbs(reference.rawData));
    const [a, b] = [new x509.X509Certificate(ours), reference];
    expect(a.signatureAlgorithm).toEqual(b.signatureAlgorithm);
    expect(await a.verify({ publicKey: ca.publicKey, signatureOnly: true }, WEBCRYPTO)).toBe(true);
  });

  it("identifies the subject key as @peculiar/x509 does (RFC 5280 method 1, SHA-1 of the key)", async () => {
    const leaf = new x509.X509Certificate(await issueCertificate(options));
    const expected = await x509.SubjectKeyIdentifierExtension.create(
      verificationCryptoKey(options.subjectKey),
      false,
      WEBCRYPTO,
    );
    expect(leaf.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId).toBe(expected.keyId);
  });

  it("signs under each of two anchors in turn, with that anchor's name and key identifier", async () => {
    const other = await testAnchor({ now });
    for (const signer of [anchor, other, anchor, other]) {
      const pem = await issueCertificate({
        ...options,
        issuer: { certificate: signer.certificate, key: signer.key },
      });
      const [leaf, ca] = [new X509Certificate(pem), new X509Certificate(signer.certificate)];
      expect(leaf.checkIssued(ca)).toBe(true);
      expect(leaf.verify(ca.publicKey)).toBe(true);
      expect(
        new x509.X509Certificate(pem).getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId,
      ).toBe(
        new x509.X509Certificate(signer.certificate).getExtension(
          x509.SubjectKeyIdentifierExtension,
        )?.keyId,
      );
    }
  });

  it("refuses another key for a certificate it has already signed with", async () => {
    await issueCertificate(options);
    const other = await testAnchor({ now });
    await expect(
      issueCertificate({ ...options, issuer: { ...options.issuer, key: other.key } }),
    ).rejects.toThrow("`issuer.key` is not the key of `issuer.certificate`");
    await expect(issueCertificate(options)).resolves.toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  it("gives each issuance a fresh serial", async () => {
    const [a, b] = await Promise.all([issueCertificate(options), issueCertificate(options)]);
    expect(new X509Certificate(a).serialNumber).not.toBe(new X509Certificate(b).serialNumber);
  });

  it.each<[string, (o: IssueOptions, other: TestAnchor) => Promise<IssueOptions> | IssueOptions]>([
    [
      "`issuer.key` is not the key of `issuer.certificate`",
      (o, other) => ({ ...o, issuer: { ...o.issuer, key: other.key } }),
    ],
    [
      "`issuer.certificate` is not a CA certificate",
      async (o, other) => ({
        ...o,
        issuer: {
          certificate: (await testWorkload(other, { serviceAccount: "x" })).certificate,
          key: other.key,
        },
      }),
    ],
    [
      "`issuer.certificate` must be a PEM string",
      (o) => ({ ...o, issuer: { ...o.issuer, certificate: undefined as never } }),
    ],
    [
      "`spiffeId` must be in the issuer's trust domain (spiffe://cluster.local)",
      (o) => ({ ...o, spiffeId: "spiffe://evil.example/ns/mcp/sa/search" }),
    ],
    ["`spiffeId` must have the form", (o) => ({ ...o, spiffeId: "spiffe://cluster.local/search" })],
    [
      "`dnsNames` must be lowercase RFC 1123 DNS names",
      (o) => ({ ...o, dnsNames: ["Search.mcp.svc"] }),
    ],
    ["`dnsNames`", (o) => ({ ...o, dnsNames: ["*.mcp.svc"] })],
    ["`notAfter` must be later than `notBefore`", (o) => ({ ...o, notAfter: o.notBefore })],
    [
      "must lie within the issuer's validity",
      (o) => ({ ...o, notAfter: new Date(now.getTime() + 48 * HOUR_MS) }),
    ],
    [
      "`publicKey` must be 1952 bytes for ML-DSA-65",
      (o) => ({ ...o, subjectKey: { ...o.subjectKey, publicKey: new Uint8Array(1312) } }),
    ],
    [
      "`algorithm` must be one of",
      (o) => ({ ...o, subjectKey: { ...o.subjectKey, algorithm: "RSA" as never } }),
    ],
  ])("refuses, naming the option: %s", async (message, change) => {
    const other = await testAnchor({ now });
    await expect(issueCertificate(await change(options, other))).rejects.toThrow(message);
  });
});
