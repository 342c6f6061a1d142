import { describe, expect, it } from "vitest";
import { BACKDATE_MS, DAY_MS, type CertFacts } from "./certs.ts";
import { planCertificates, type RotationSettings, type StoredFacts } from "./rotation.ts";

const T0 = Date.parse("2030-01-01T00:00:00Z");
const hosts = { dns: ["latticeguard-webhook.latticeguard-system.svc"], ips: ["127.0.0.1"] };
const settings: RotationSettings = {
  caValidityMs: 300 * DAY_MS,
  servingValidityMs: 90 * DAY_MS,
  caPropagationMs: 120_000,
  hosts,
};
/** A certificate made at `madeAt` for `validityMs`, backdated as certs.ts does. */
const cert = (
  madeAt: number,
  validityMs: number,
  names = hosts,
  fingerprint = `fp-${madeAt}`,
): CertFacts => ({
  notBefore: madeAt - BACKDATE_MS,
  notAfter: madeAt + validityMs,
  fingerprint,
  dns: names.dns,
  ips: names.ips,
});
const facts = (
  caAt: number,
  servingAt: number,
  extra: Partial<StoredFacts> = {},
  signed = true,
): StoredFacts => {
  const ca = cert(caAt, settings.caValidityMs);
  return {
    ca,
    bundle: [ca],
    serving: { ...cert(servingAt, settings.servingValidityMs), signedByCurrentCA: signed },
    ...extra,
  };
};

describe("planCertificates", () => {
  it.each<[string, StoredFacts | undefined, number, string]>([
    ["creates what is missing", undefined, T0, "Create"],
    ["keeps fresh certificates", facts(T0, T0), T0 + DAY_MS, "Keep"],
    [
      "renews the serving certificate in its last third",
      facts(T0, T0),
      T0 + 60 * DAY_MS,
      "IssueServing",
    ],
    ["keeps it until then", facts(T0, T0), T0 + 60 * DAY_MS - 1, "Keep"],
    ["renews an expired serving certificate", facts(T0, T0), T0 + 91 * DAY_MS, "IssueServing"],
    [
      "rotates the CA in its last third",
      facts(T0, T0 + 150 * DAY_MS),
      T0 + 200 * DAY_MS,
      "RotateCA",
    ],
    ["starts over when the CA expired", facts(T0, T0), T0 + 301 * DAY_MS, "Create"],
    [
      "re-issues when the names changed",
      facts(T0, T0, {
        serving: {
          ...cert(T0, 90 * DAY_MS, { dns: ["old.svc"], ips: [] }),
          signedByCurrentCA: true,
        },
      }),
      T0 + DAY_MS,
      "IssueServing",
    ],
  ])("%s", (_name, f, now, action) => {
    expect(planCertificates(f, now, settings).action).toBe(action);
  });

  it("waits for a new CA to propagate before serving a certificate it signed", () => {
    const rotated = facts(T0, T0 - 10 * DAY_MS, {}, false);
    const trustedAt = T0 + settings.caPropagationMs;
    expect(planCertificates(rotated, trustedAt - 1, settings)).toEqual({
      action: "Keep",
      recheckAt: trustedAt,
    });
    expect(planCertificates(rotated, trustedAt, settings).action).toBe("IssueServing");
  });

  it("does not wait when the old serving certificate already expired", () => {
    const rotated = facts(T0, T0 - 100 * DAY_MS, {}, false);
    expect(planCertificates(rotated, T0 + 1000, settings).action).toBe("IssueServing");
  });

  it("prunes an expired CA from the bundle, and rechecks when the next one expires", () => {
    const old = cert(T0 - 250 * DAY_MS, settings.caValidityMs, hosts, "old");
    const f = facts(T0, T0, { bundle: [cert(T0, settings.caValidityMs), old] });
    expect(planCertificates(f, T0 + DAY_MS, settings)).toEqual({
      action: "Keep",
      recheckAt: old.notAfter,
    });
    expect(planCertificates(f, old.notAfter, settings).action).toBe("PruneBundle");
  });

  it("rechecks at the earliest renewal", () => {
    const plan = planCertificates(facts(T0, T0), T0, settings);
    expect(plan).toEqual({ action: "Keep", recheckAt: T0 + 60 * DAY_MS });
  });

  it("renews short-lived certificates by their own lifetime, not the backdating", () => {
    const short = { ...settings, servingValidityMs: 60_000 };
    const f = { ...facts(T0, T0), serving: { ...cert(T0, 60_000), signedByCurrentCA: true } };
    expect(planCertificates(f, T0 + 39_999, short).action).toBe("Keep");
    expect(planCertificates(f, T0 + 40_000, short).action).toBe("IssueServing");
  });
});
