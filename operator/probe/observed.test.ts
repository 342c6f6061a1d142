import { beforeAll, describe, expect, it } from "vitest";
import { mcpServer } from "../../webhook/testing/fixtures.ts";
import { testAnchor, testWorkload, type TestWorkload } from "../crypto/testdata/identities.ts";
import { transportStatus, type ProbedEndpoint } from "./decide.ts";
import type { EndpointOutcome } from "./endpoint.ts";
import type { Connected } from "./handshake.ts";
import { PresentedCertificates, observedFromProbes, observedFromStatus } from "./observed.ts";

const at = "2030-01-01T00:05:00.000Z";
let workload: TestWorkload;
beforeAll(async () => {
  workload = await testWorkload(await testAnchor(), { serviceAccount: "weather" });
});

function probed(
  pod: string,
  outcome: EndpointOutcome,
  seen: Partial<Connected> | undefined,
  classicalGroup?: string,
): ProbedEndpoint {
  const handshake: Connected | undefined = seen && {
    kind: "connected",
    group: "X25519MLKEM768",
    tlsVersion: "1.3",
    cipherSuite: "TLS_AES_256_GCM_SHA384",
    certificateAlgorithm: "ML-DSA-65",
    spiffeId: undefined,
    authorized: true,
    authorizationError: undefined,
    certificatePem: undefined,
    ...seen,
  };
  return {
    endpoint: { pod, host: "10.0.0.7", port: 8443, claimed: false },
    probe: { outcome, handshake, classicalGroup, error: handshake ? undefined : "refused" },
  };
}

describe("observedFromProbes", () => {
  it("records a verified endpoint with the certificate it presented", () => {
    const [seen, ...rest] = observedFromProbes(
      "mcp",
      [probed("weather-0", "Verified", { certificatePem: workload.certificate })],
      at,
    );
    expect(rest).toEqual([]);
    expect(seen).toMatchObject({
      namespace: "mcp",
      pod: "weather-0",
      endpoint: "10.0.0.7:8443",
      observedAt: at,
      tlsVersion: "1.3",
      group: "X25519MLKEM768",
      cipherSuite: "TLS_AES_256_GCM_SHA384",
      acceptsClassicalOnly: false,
      certificate: { publicKeyType: "ml-dsa-65", isCA: false, uris: [workload.spiffeId] },
    });
  });

  it.each<[string, ProbedEndpoint, number]>([
    ["no handshake completed", probed("a", "Unreachable", undefined), 0],
    ["a refused handshake", probed("a", "HandshakeFailed", undefined), 0],
    ["an untrusted certificate (still an observation)", probed("a", "UntrustedCertificate", {}), 1],
  ])("records %s as %d observations", (_what, p, count) => {
    expect(observedFromProbes("mcp", [p], at)).toHaveLength(count);
  });

  it("adds the classical-only handshake of a downgradable endpoint as a second observation", () => {
    const observed = observedFromProbes(
      "mcp",
      [probed("a", "ClassicalGroupAccepted", {}, "X25519")],
      at,
    );
    expect(observed.map((o) => [o.endpoint, o.group, o.acceptsClassicalOnly])).toEqual([
      ["10.0.0.7:8443", "X25519MLKEM768", true],
      ["10.0.0.7:8443 classical-only", "X25519", true],
    ]);
  });

  it("records one observation for a server that speaks only a classical group", () => {
    const observed = observedFromProbes(
      "mcp",
      [probed("a", "ClassicalGroupAccepted", { group: "secp256r1" }, "secp256r1")],
      at,
    );
    expect(observed.map((o) => [o.group, o.acceptsClassicalOnly])).toEqual([["secp256r1", true]]);
  });

  it("leaves out a certificate that does not parse, and records the rest", () => {
    const [seen] = observedFromProbes(
      "mcp",
      [probed("a", "Verified", { certificatePem: "-----BEGIN CERTIFICATE-----\nAA==\n" })],
      at,
    );
    expect(seen).toMatchObject({ group: "X25519MLKEM768" });
    expect(seen).not.toHaveProperty("certificate");
  });
});

describe("PresentedCertificates", () => {
  it("parses a certificate once while rounds keep presenting it, and forgets one no longer presented", () => {
    const facts = new PresentedCertificates();
    const first = facts.of(workload.certificate);
    expect(first).toMatchObject({ publicKeyType: "ml-dsa-65" });
    expect(facts.of(workload.certificate)).toBe(first);
    facts.endRound();
    expect(facts.of(workload.certificate)).toBe(first);
    facts.endRound();
    facts.endRound();
    const again = facts.of(workload.certificate);
    expect(again).toEqual(first);
    expect(again).not.toBe(first);
    expect(facts.of("not a certificate")).toBeUndefined();
    expect(facts.of(undefined)).toBeUndefined();
  });
});

describe("observedFromStatus", () => {
  const probes = [
    probed("a-0", "Verified", { certificatePem: "x" }),
    probed("b-0", "ClassicalGroupAccepted", {}, "X25519"),
    probed("c-0", "Unreachable", undefined),
  ];

  it("reads from status what the leader's last round observed, less the certificates", () => {
    const server = mcpServer("mcp", "weather", { app: "weather" });
    server.status = { transport: transportStatus(probes, new Date(at)) };
    const byEndpoint = (a: { pod: string; endpoint: string }, b: typeof a) =>
      `${a.pod} ${a.endpoint}`.localeCompare(`${b.pod} ${b.endpoint}`);
    const fromProbes = observedFromProbes("mcp", probes, at)
      .map(({ certificate: _, ...rest }) => rest)
      .sort(byEndpoint);
    expect(fromProbes).toHaveLength(3);
    expect(observedFromStatus([server]).sort(byEndpoint)).toEqual(fromProbes);
  });

  it("skips endpoints without a handshake and servers never probed", () => {
    const probedServer = mcpServer("mcp", "weather", { app: "weather" });
    probedServer.status = {
      transport: {
        result: "Unreachable",
        lastProbeTime: at,
        endpoints: [{ address: "10.0.0.7:8443", pod: "a-0", result: "Unreachable" }],
      },
    };
    const never = mcpServer("mcp", "new", { app: "new" });
    expect(observedFromStatus([probedServer, never])).toEqual([]);
  });
});
