import { webcrypto } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { nobleSignature } from "./signature-noble.ts";
import { verifyCertificate } from "./x509-verify.ts";
import { WEBCRYPTO, x509 } from "./x509-lib.ts";
import {
  HOUR_MS,
  testAnchor,
  testWorkload,
  type TestAnchor,
  type TestWorkload,
} from "./testdata/identities.ts";

const now = new Date();
const later = (ms: number) => new Date(now.getTime() + ms);
let anchor: TestAnchor;
let workload: TestWorkload;
// Another anchor for the same trust domain, with the same subject: as after a rotation.
let rotated: TestAnchor;

beforeAll(async () => {
  [anchor, rotated] = await Promise.all([testAnchor({ now }), testAnchor({ now })]);
  workload = await testWorkload(anchor, {
    serviceAccount: "search",
    dnsNames: ["search.mcp.svc"],
    now,
  });
});

describe("verifyCertificate accepts", () => {
  it("a leaf from its anchor, returning what it certifies", async () => {
    const verified = await verifyCertificate(workload.certificate, [anchor.certificate], now);
    expect(verified).toMatchObject({
      spiffeId: "spiffe://cluster.local/ns/mcp/sa/search",
      dnsNames: ["search.mcp.svc"],
      algorithm: "ML-DSA-65",
      issuer: "CN=LatticeGuard trust anchor, O=cluster.local",
    });
    expect(verified.publicKey).toEqual(nobleSignature.publicKey("ML-DSA-65", workload.key.seed));
    expect(verified.serialNumber).toMatch(/^[0-9a-f]{32}$/);
  });

  it("a leaf from either anchor of a bundle in rotation, which share one subject", async () => {
    const bundle = [rotated.certificate, anchor.certificate];
    const fromRotated = await testWorkload(rotated, { serviceAccount: "agent", now });
    await expect(verifyCertificate(workload.certificate, bundle, now)).resolves.toBeTruthy();
    await expect(verifyCertificate(fromRotated.certificate, bundle, now)).resolves.toBeTruthy();
  });
});

describe("verifyCertificate refuses", () => {
  it("a leaf from another anchor with the same subject", async () => {
    await expect(
      verifyCertificate(workload.certificate, [rotated.certificate], now),
    ).rejects.toThrow(
      "`leaf` is not signed by any CA in `caPems` (issuer CN=LatticeGuard trust anchor, O=cluster.local; 1 of 1 with that name)",
    );
  });

  it("a leaf from another trust domain's anchor", async () => {
    const foreign = await testAnchor({ trustDomain: "evil.example", now });
    const intruder = await testWorkload(foreign, { serviceAccount: "search", now });
    await expect(
      verifyCertificate(intruder.certificate, [anchor.certificate], now),
    ).rejects.toThrow(/not signed by any CA in `caPems` \(issuer .*O=evil\.example; 0 of 1/);
  });

  it("a leaf whose signature was tampered with", async () => {
    const der = new Uint8Array(x509.PemConverter.decodeFirst(workload.certificate));
    der[der.length - 100]! ^= 0x01;
    const tampered = x509.PemConverter.encode(der.buffer, "CERTIFICATE");
    await expect(verifyCertificate(tampered, [anchor.certificate], now)).rejects.toThrow(
      /^`leaf` is not signed by any CA/,
    );
  });

  it.each([
    ["`leaf` expired at", later(2 * HOUR_MS)],
    ["`leaf` is not valid before", later(-10 * 60_000)],
    ["`caPems[0]`, the issuer of `leaf`, is valid only from", later(48 * HOUR_MS)],
  ])("%s … when checked at another time", async (message, at) => {
    await expect(verifyCertificate(workload.certificate, [anchor.certificate], at)).rejects.toThrow(
      message,
    );
  });

  it("an anchor presented as a leaf", async () => {
    await expect(verifyCertificate(anchor.certificate, [anchor.certificate], now)).rejects.toThrow(
      "`leaf` is a CA certificate, not a workload certificate",
    );
  });

  it("a leaf signed with ECDSA", async () => {
    const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
    const keys = await webcrypto.subtle.generateKey(algorithm, false, ["sign", "verify"]);
    const classic = await x509.X509CertificateGenerator.createSelfSigned(
      { name: "CN=classic", keys, signingAlgorithm: algorithm },
      WEBCRYPTO,
    );
    await expect(
      verifyCertificate(classic.toString("pem"), [anchor.certificate], now),
    ).rejects.toThrow("`leaf` must be signed with ML-DSA; it is signed with ECDSA");
  });

  it.each<[string, () => [unknown, unknown]]>([
    ["`caPems` must list at least one CA certificate", () => [workload.certificate, []]],
    [
      "`caPems[1]` must hold exactly one PEM CERTIFICATE block",
      () => [workload.certificate, [anchor.certificate, "junk"]],
    ],
    ["`leaf` must be a PEM string", () => [undefined, [anchor.certificate]]],
  ])("bad input, naming it: %s", async (message, args) => {
    const [leaf, cas] = args();
    await expect(verifyCertificate(leaf as string, cas as string[], now)).rejects.toThrow(message);
  });
});
