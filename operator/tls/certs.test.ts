import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  BACKDATE_MS,
  DAY_MS,
  certFacts,
  createCA,
  issueServing,
  keyMatchesCert,
  signedBy,
  splitPem,
} from "./certs.ts";

const now = new Date("2030-01-01T00:00:00Z");
const hosts = { dns: ["latticeguard-webhook.latticeguard-system.svc"], ips: ["127.0.0.1"] };

describe("webhook certificates", async () => {
  const ca = await createCA(now, 365 * DAY_MS);
  const serving = await issueServing(ca, hosts, now, 90 * DAY_MS);

  it("makes an ECDSA P-256 CA", () => {
    const cert = new X509Certificate(ca.cert);
    expect(cert.ca).toBe(true);
    expect(cert.publicKey.asymmetricKeyType).toBe("ec");
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(keyMatchesCert(ca)).toBe(true);
  });

  it("issues a serving certificate for the Service name and loopback, signed by the CA", () => {
    const cert = new X509Certificate(serving.cert);
    expect(cert.ca).toBe(false);
    expect(cert.checkHost("latticeguard-webhook.latticeguard-system.svc")).toBeDefined();
    expect(cert.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(cert.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]);
    expect(signedBy(serving.cert, ca.cert)).toBe(true);
    expect(keyMatchesCert(serving)).toBe(true);
    expect(certFacts(serving.cert)).toMatchObject({
      notBefore: now.getTime() - BACKDATE_MS,
      notAfter: now.getTime() + 90 * DAY_MS,
      ...hosts,
    });
  });

  it("tells CAs apart", async () => {
    const other = await createCA(now, 365 * DAY_MS);
    expect(signedBy(serving.cert, other.cert)).toBe(false);
    expect(keyMatchesCert({ cert: serving.cert, key: other.key })).toBe(false);
  });

  it("never outlives its CA", async () => {
    const shortCA = await createCA(now, DAY_MS);
    const s = await issueServing(shortCA, hosts, now, 90 * DAY_MS);
    expect(certFacts(s.cert).notAfter).toBe(certFacts(shortCA.cert).notAfter);
  });

  it("needs a name", async () => {
    await expect(issueServing(ca, { dns: [], ips: [] }, now, DAY_MS)).rejects.toThrow(
      "at least one",
    );
  });

  it("splits a bundle into joinable certificates", () => {
    const parts = splitPem(`${ca.cert}\n${serving.cert}`);
    expect(parts).toHaveLength(2);
    expect(splitPem(parts.join(""))).toEqual(parts);
  });
});
