import { describe, expect, it } from "vitest";
import { testAnchor, testWorkload } from "../crypto/testdata/identities.ts";
import { DAY_MS, createCA, issueServing } from "../tls/certs.ts";
import { describeCertificate, describeCertificates } from "./certificates.ts";

const now = new Date("2026-06-01T12:00:00Z");
const anchor = await testAnchor({ now, trustDomain: "prod.example" });
const workload = await testWorkload(anchor, { serviceAccount: "search", now });
const ca = await createCA(now, 365 * DAY_MS);
const serving = await issueServing(ca, { dns: ["hook.lg.svc"], ips: ["127.0.0.1"] }, now, DAY_MS);

describe("describeCertificate", () => {
  it.each([
    {
      what: "a trust anchor",
      pem: anchor.certificate,
      facts: {
        subject: "CN=LatticeGuard trust anchor, O=prod.example",
        issuer: "CN=LatticeGuard trust anchor, O=prod.example",
        signatureAlgorithm: "ML-DSA-87",
        signatureAlgorithmOid: "2.16.840.1.101.3.4.3.19",
        publicKeyType: "ml-dsa-87",
        isCA: true,
        uris: ["spiffe://prod.example"],
        notBefore: "2026-06-01T11:00:00.000Z",
        notAfter: "2026-06-02T12:00:00.000Z",
      },
    },
    {
      what: "a workload identity (empty subject)",
      pem: workload.certificate,
      facts: {
        subject: "",
        signatureAlgorithm: "ML-DSA-87",
        publicKeyType: "ml-dsa-65",
        isCA: false,
        uris: ["spiffe://prod.example/ns/mcp/sa/search"],
        dnsNames: ["search.mcp.svc"],
      },
    },
    {
      what: "the webhook's ECDSA serving certificate",
      pem: serving.cert,
      facts: {
        subject: "CN=hook.lg.svc",
        issuer: "CN=latticeguard-webhook-ca",
        signatureAlgorithm: "ecdsa-with-SHA256",
        signatureAlgorithmOid: "1.2.840.10045.4.3.2",
        publicKeyType: "ec",
        publicKeyCurve: "prime256v1",
        dnsNames: ["hook.lg.svc"],
      },
    },
  ])("describes $what", ({ pem, facts }) => {
    const described = describeCertificate(pem, "cert");
    expect(described).toMatchObject(facts);
    expect(described.serialNumber).toMatch(/^[0-9A-F]+$/);
    expect(described.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("names the input it cannot parse", () => {
    expect(() => describeCertificate("-----BEGIN CERTIFICATE-----\nAAAA\n", "tls.crt")).toThrow(
      "`tls.crt` is not a valid X.509 certificate",
    );
  });
});

describe("describeCertificates", () => {
  it("reads every certificate of a bundle in order, and never the key beside them", () => {
    const text = `${serving.key}${serving.cert}${ca.cert}`;
    const { certificates, problems } = describeCertificates(text, "Secret lg/webhook");
    expect(certificates.map((c) => c.subject)).toEqual([
      "CN=hook.lg.svc",
      "CN=latticeguard-webhook-ca",
    ]);
    expect(problems).toEqual([]);
    expect(JSON.stringify(certificates)).not.toContain(serving.key.split("\n")[1]);
  });

  it("leaves out a block that does not parse, naming it", () => {
    const broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    const { certificates, problems } = describeCertificates(
      `${anchor.certificate}${broken}`,
      "ConfigMap lg/bundle",
    );
    expect(certificates).toHaveLength(1);
    expect(problems).toEqual([
      "`ConfigMap lg/bundle[1]` is not a valid X.509 certificate: left out",
    ]);
  });

  it("finds nothing in an empty text", () => {
    expect(describeCertificates("", "x")).toEqual({ certificates: [], problems: [] });
  });
});
