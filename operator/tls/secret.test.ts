import { describe, expect, it } from "vitest";
import { DAY_MS, createCA, issueServing } from "./certs.ts";
import { SECRET_KEYS, decodeCertificates, encodeCertificates, factsOf } from "./secret.ts";

const now = new Date("2030-01-01T00:00:00Z");
const hosts = { dns: ["w.ns.svc"], ips: ["127.0.0.1"] };

describe("webhook certificate Secret", async () => {
  const ca = await createCA(now, 365 * DAY_MS);
  const previous = await createCA(new Date(now.getTime() - 300 * DAY_MS), 365 * DAY_MS);
  const serving = await issueServing(ca, hosts, now, 90 * DAY_MS);
  const stored = { ca, bundle: [ca.cert, previous.cert], serving };

  it("round-trips", () => {
    const data = encodeCertificates(stored);
    expect(Object.keys(data).sort()).toEqual(Object.values(SECRET_KEYS).sort());
    const decoded = decodeCertificates(data);
    expect(decoded?.ca).toEqual(ca);
    expect(decoded?.serving).toEqual(serving);
    expect(decoded?.bundle).toHaveLength(2);
    expect(factsOf(decoded!)).toMatchObject({
      serving: { signedByCurrentCA: true, dns: ["w.ns.svc"] },
    });
  });

  it("always trusts the current CA, once", () => {
    const data = { ...encodeCertificates(stored), [SECRET_KEYS.bundle]: "" };
    expect(decodeCertificates(data)?.bundle).toHaveLength(1);
    const twice = { ...encodeCertificates({ ...stored, bundle: [ca.cert, ca.cert] }) };
    expect(decodeCertificates(twice)?.bundle).toHaveLength(1);
  });

  it.each([
    ["nothing", undefined],
    ["a missing key", { ...encodeCertificates(stored), [SECRET_KEYS.key]: "" }],
    [
      "garbage",
      { ...encodeCertificates(stored), [SECRET_KEYS.cert]: Buffer.from("junk").toString("base64") },
    ],
    [
      "a key from another pair",
      {
        ...encodeCertificates(stored),
        [SECRET_KEYS.caKey]: encodeCertificates(stored)[SECRET_KEYS.key]!,
      },
    ],
  ])("reads %s as no certificates", (_name, data) => {
    expect(decodeCertificates(data)).toBeUndefined();
  });

  it("sees a serving certificate from the previous CA", async () => {
    const old = await issueServing(previous, hosts, now, 90 * DAY_MS);
    expect(factsOf({ ...stored, serving: old }).serving.signedByCurrentCA).toBe(false);
  });
});
