import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  testAnchor,
  testWorkload,
  type TestAnchor,
  type TestWorkload,
} from "../crypto/testdata/identities.ts";
import { probeEndpoint } from "./endpoint.ts";
import { handshake } from "./handshake.ts";
import { trustContexts } from "./trust-contexts.ts";
import { blackhole, tlsEndpoint, type TestEndpoint } from "./testing.ts";

let anchor: TestAnchor;
let stranger: TestAnchor;
let workload: TestWorkload;
const endpoints: TestEndpoint[] = [];
const at = (e: TestEndpoint) => ({ host: "127.0.0.1", port: e.port });

beforeAll(async () => {
  anchor = await testAnchor();
  stranger = await testAnchor();
  workload = await testWorkload(anchor, { serviceAccount: "weather" });
});
afterAll(() => Promise.all(endpoints.map((e) => e.close())));

async function serve(groups: string[], options: { clientCa?: string[] } = {}) {
  const e = await tlsEndpoint({ ...workload, groups, ...options });
  endpoints.push(e);
  return e;
}

describe("probeEndpoint against loopback TLS servers", () => {
  it("verifies a post-quantum-only server and records what it negotiated", async () => {
    const e = await serve(["X25519MLKEM768"]);
    const seen = await probeEndpoint(at(e), {
      trust: trustContexts([anchor.certificate]),
      timeoutMs: 3000,
    });
    expect(seen.outcome).toBe("Verified");
    expect(seen.handshake).toMatchObject({
      group: "X25519MLKEM768",
      tlsVersion: "1.3",
      certificateAlgorithm: "ML-DSA-65",
      spiffeId: workload.spiffeId,
      authorized: true,
    });
    expect(seen.handshake?.cipherSuite).toMatch(/^TLS_/);
  });

  it("makes full handshakes through one round's shared contexts, never resuming a session", async () => {
    const e = await serve(["X25519MLKEM768"]);
    const trust = trustContexts([anchor.certificate]);
    expect(trust.context(["X25519MLKEM768"])).toBe(trust.context(["X25519MLKEM768"]));
    expect(trust.context(["X25519MLKEM768"])).not.toBe(trust.context(["X25519"]));
    const seen = await Promise.all(
      [0, 1, 2].map(() => probeEndpoint(at(e), { trust, timeoutMs: 3000 })),
    );
    for (const s of seen)
      expect(s).toMatchObject({
        outcome: "Verified",
        handshake: { certificatePem: workload.certificate.trim() + "\n", authorized: true },
      });
  });

  it("records the handshake of a server that demands a client certificate", async () => {
    const e = await serve(["MLKEM1024"], { clientCa: [anchor.certificate] });
    const seen = await probeEndpoint(at(e), {
      trust: trustContexts([anchor.certificate]),
      timeoutMs: 3000,
    });
    expect(seen).toMatchObject({ outcome: "Verified", handshake: { group: "MLKEM1024" } });
  });

  it.each([
    [["X25519MLKEM768", "X25519"], "ClassicalGroupAccepted", "X25519"],
    [["P-256"], "ClassicalGroupAccepted", "secp256r1"],
  ])("finds a server offering %j downgradable", async (groups, outcome, classical) => {
    const e = await serve(groups);
    const seen = await probeEndpoint(at(e), {
      trust: trustContexts([anchor.certificate]),
      timeoutMs: 3000,
    });
    expect(seen).toMatchObject({ outcome, classicalGroup: classical });
  });

  it("refuses a chain that does not lead to the trust bundle", async () => {
    const e = await serve(["X25519MLKEM768"]);
    const seen = await probeEndpoint(at(e), {
      trust: trustContexts([stranger.certificate]),
      timeoutMs: 3000,
    });
    expect(seen.outcome).toBe("UntrustedCertificate");
    expect(seen.error).toBeTruthy();
  });

  it("finds a closed port unreachable", async () => {
    const e = await serve(["X25519MLKEM768"]);
    await e.close();
    const seen = await probeEndpoint(at(e), {
      trust: trustContexts([anchor.certificate]),
      timeoutMs: 3000,
    });
    expect(seen.outcome).toBe("Unreachable");
    expect(seen.error).toMatch(/ECONNREFUSED/);
  });

  it("gives up on a silent endpoint after the timeout", async () => {
    const hole = await blackhole();
    endpoints.push(hole);
    expect(hole.open).toBe(0);
    const pending = handshake(at(hole), {
      groups: ["MLKEM1024"],
      trust: trustContexts([]),
      timeoutMs: 200,
    });
    await hole.connected();
    expect(hole.open).toBe(1);
    const result = await pending;
    expect(result).toEqual({ kind: "unreachable", error: "no TLS handshake within 0.2 s" });
    await vi.waitFor(() => expect(hole.open).toBe(0));
  });
});
