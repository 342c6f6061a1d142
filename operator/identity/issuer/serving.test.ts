import { X509Certificate, createPrivateKey } from "node:crypto";
import { pino } from "pino";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { FakeClock } from "../../runtime/clock.ts";
import type { PemPair } from "../../tls/certs.ts";
import { createAnchor, createStaticAuthority, type StaticAuthority } from "./static-authority.ts";
import {
  ServingCertificates,
  issueServingCertificate,
  servingRenewalDue,
  type ServingState,
} from "./serving.ts";

const log = pino({ level: "silent" });
const HOUR = 3_600_000;
let authority: StaticAuthority;

beforeAll(async () => {
  authority = await createStaticAuthority({ algorithm: "ML-DSA-87" });
});

describe("issueServingCertificate", () => {
  it("certifies a fresh ML-DSA key of the signer's parameter set for the names and 127.0.0.1", async () => {
    const now = new Date();
    const state = await issueServingCertificate({
      signer: authority.anchor,
      dnsNames: ["latticeguard-issuer.latticeguard-system.svc"],
      ipAddresses: ["127.0.0.1"],
      now,
      lifetimeMs: HOUR,
    });
    const cert = new X509Certificate(state.pair.cert);
    const ca = new X509Certificate(authority.anchor.certificate);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.publicKey.asymmetricKeyType).toBe("ml-dsa-87");
    expect(cert.checkPrivateKey(createPrivateKey(state.pair.key))).toBe(true);
    expect(cert.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(cert.checkHost("latticeguard-issuer.latticeguard-system.svc")).toBeDefined();
    expect(cert.checkHost("evil.example")).toBeUndefined();
    expect(cert.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]); // serverAuth only
    expect(cert.validToDate.getTime() - now.getTime()).toBeLessThanOrEqual(HOUR);
    expect(state.signerCertificate).toBe(authority.anchor.certificate);
  });

  it("ends with the signer when the signer ends first", async () => {
    const short = await createAnchor({ lifetimeMs: HOUR });
    const state = await issueServingCertificate({
      signer: short,
      dnsNames: [],
      ipAddresses: ["127.0.0.1"],
      now: new Date(),
      lifetimeMs: 24 * HOUR,
    });
    expect(state.notAfter).toEqual(new X509Certificate(short.certificate).validToDate);
  });
});

describe("servingRenewalDue", () => {
  const t0 = new Date("2030-01-01T00:00:00Z");
  const state: ServingState = {
    pair: { cert: "", key: "" },
    signerCertificate: "A",
    notBefore: t0,
    notAfter: new Date(t0.getTime() + 3 * HOUR),
  };
  const signer = (certificate: string) => ({
    certificate,
    key: authority.anchor.key,
  });
  it.each<[string, ServingState | undefined, string | undefined, number, boolean]>([
    ["no signer: nothing to do", undefined, undefined, 0, false],
    ["no certificate yet", undefined, "A", 0, true],
    ["same signer, early", state, "A", HOUR, false],
    ["same signer, just before two thirds", state, "A", 2 * HOUR - 1, false],
    ["same signer, at two thirds", state, "A", 2 * HOUR, true],
    ["another signer", state, "B", HOUR, true],
    ["signer gone: keep what is served", state, undefined, 2.5 * HOUR, false],
  ])("%s", (_name, current, pem, offset, due) => {
    const at = new Date(t0.getTime() + offset);
    expect(servingRenewalDue(current, pem === undefined ? undefined : signer(pem), at)).toBe(due);
  });
});

describe("ServingCertificates", () => {
  let serving: ServingCertificates | undefined;
  afterEach(() => serving?.stop());

  it("issues once a signer exists and again when the signer changes", async () => {
    const local = await createStaticAuthority();
    local.setSigner(undefined);
    const clock = new FakeClock(new Date());
    const seen: PemPair[] = [];
    serving = new ServingCertificates({
      authority: local,
      dnsNames: [],
      checkIntervalMs: 10_000,
      clock,
      log,
    });
    serving.onChange((pair) => seen.push(pair));
    serving.start();
    await clock.advance(10_000);
    expect(serving.current()).toBeUndefined();

    local.setSigner(local.anchor);
    await clock.advance(10_000);
    await vi.waitFor(() => expect(seen).toHaveLength(1));
    const first = new X509Certificate(seen[0]!.cert);
    expect(first.checkIssued(new X509Certificate(local.anchor.certificate))).toBe(true);

    await vi.waitFor(() => expect(clock.pendingTimers).toBe(1));
    await clock.advance(10_000);
    expect(seen).toHaveLength(1); // same signer, not yet due

    const next = await createAnchor();
    local.setSigner(next);
    await vi.waitFor(() => expect(clock.pendingTimers).toBe(1));
    await clock.advance(10_000);
    await vi.waitFor(() => expect(seen).toHaveLength(2));
    expect(
      new X509Certificate(seen[1]!.cert).checkIssued(new X509Certificate(next.certificate)),
    ).toBe(true);
    expect(serving.current()).toBe(seen[1]);
  });
});
