import { describe, expect, it } from "vitest";
import { decideTransport, transportStatus, type ProbedEndpoint } from "./decide.ts";
import type { EndpointOutcome } from "./endpoint.ts";

const now = new Date("2030-01-01T00:05:00Z");
const shook = {
  kind: "connected" as const,
  group: "X25519MLKEM768",
  tlsVersion: "1.3",
  cipherSuite: "TLS_AES_256_GCM_SHA384",
  certificateAlgorithm: "ML-DSA-65",
  spiffeId: "spiffe://cluster.local/ns/mcp/sa/weather",
  authorized: true,
  authorizationError: undefined,
  certificatePem: undefined,
};

function probed(pod: string, outcome: EndpointOutcome, claimed = false): ProbedEndpoint {
  const unreachable = outcome === "Unreachable";
  return {
    endpoint: { pod, host: `10.0.0.${pod.length}`, port: 8443, claimed },
    probe: {
      outcome,
      handshake: unreachable ? undefined : shook,
      classicalGroup: outcome === "ClassicalGroupAccepted" ? "X25519" : undefined,
      error: unreachable ? "connect ECONNREFUSED" : undefined,
    },
  };
}

describe("transportStatus", () => {
  it.each<[string, ProbedEndpoint[], string, Record<string, unknown>]>([
    ["no endpoints", [], "NoEndpoints", { probed: 0, verified: 0 }],
    [
      "all verified",
      [probed("a", "Verified"), probed("bb", "Verified")],
      "Verified",
      { probed: 2, verified: 2, group: "X25519MLKEM768", spiffeId: shook.spiffeId },
    ],
    [
      "one downgradable",
      [probed("a", "Verified"), probed("bb", "ClassicalGroupAccepted")],
      "ClassicalGroupAccepted",
      { probed: 2, verified: 1, downgradable: 1 },
    ],
    [
      "untrusted outranks downgradable",
      [probed("a", "ClassicalGroupAccepted"), probed("bb", "UntrustedCertificate")],
      "UntrustedCertificate",
      { verified: 0 },
    ],
    [
      "unreachable is the least grave",
      [probed("a", "Unreachable"), probed("bb", "ClassicalCertificate")],
      "ClassicalCertificate",
      {},
    ],
    [
      "a false claim",
      [probed("a", "Unreachable", true), probed("bb", "Verified", true)],
      "Unreachable",
      { falseClaims: 1 },
    ],
  ])("%s", (_name, probes, result, fields) => {
    const status = transportStatus(probes, now);
    expect(status).toMatchObject({ result, lastProbeTime: now.toISOString(), ...fields });
  });

  it("names the failing endpoints first, and the claim", () => {
    const status = transportStatus(
      [probed("a", "Verified"), probed("bb", "ClassicalGroupAccepted", true)],
      now,
    );
    expect(status.message).toBe(
      "1 of 2 endpoints failed: 10.0.0.2:8443 (pod bb, claims post-quantum transport) accepted a classical-only handshake (X25519)",
    );
    expect(status.endpoints?.map((e) => e.pod)).toEqual(["bb", "a"]);
    expect(status.endpoints?.[0]).toMatchObject({ classicalGroup: "X25519", claimed: true });
  });

  it("lists at most 16 endpoints and names at most 5", () => {
    const many = Array.from({ length: 20 }, (_, i) => probed(`p${"x".repeat(i)}`, "Unreachable"));
    const status = transportStatus(many, now);
    expect(status.endpoints).toHaveLength(16);
    expect(status.message).toMatch(/; and 15 more$/);
  });
});

describe("decideTransport", () => {
  const verified = [probed("a", "Verified")];
  const previous = transportStatus(verified, new Date("2030-01-01T00:00:00Z"));

  it.each([
    ["first result", undefined, verified, true, "TransportVerified"],
    ["unchanged, recent", previous, verified, false, undefined],
    ["changed", previous, [probed("a", "ClassicalGroupAccepted")], true, "TransportDowngradable"],
    ["now unreachable", previous, [probed("a", "Unreachable")], true, "TransportUnverified"],
  ])("%s", (_name, prev, probes, write, reason) => {
    const plan = decideTransport({ probes, previous: prev, intervalMs: 300_000 }, now);
    expect(plan.write).toBe(write);
    expect(plan.event?.reason).toBe(reason);
  });

  it("rewrites unchanged results after six intervals, without an Event", () => {
    const plan = decideTransport({ probes: verified, previous, intervalMs: 50_000 }, now);
    expect(plan).toMatchObject({ write: true, event: undefined });
  });
});
