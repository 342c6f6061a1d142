/**
 * The handshake probe against real TLS servers on loopback: MCPServers and pods in the real API server,
 * each pod's `status.podIP` set to 127.0.0.1 through the pods' status subresource and its `mcp` port
 * pointing at one of the servers below; the operator a real process, its trust anchor the one that
 * issues the well-behaved servers' ML-DSA certificates.
 */
import type { CoreV1Api } from "@kubernetes/client-node";
import { PatchStrategy, setHeaderOptions, type CoreV1Event } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { MCPServer } from "../../operator/api/types.generated.ts";
import {
  testAnchor,
  testWorkload,
  type TestWorkload,
} from "../../operator/crypto/testdata/identities.ts";
import { findCondition } from "../../operator/kube/conditions.ts";
import { blackhole, tlsEndpoint, type TestEndpoint } from "../../operator/probe/testing.ts";
import { testNamespace } from "./harness.ts";
import { latticeguardObjects } from "./objects.ts";
import { anchors, startProxyOperator, type ProxyOperator } from "./proxy-harness.ts";

/** Long enough that the silent endpoint's probe is still pending while keys rotate twice. */
const PROBE_TIMEOUT_S = 15;
const ROTATION_MS = 3_000;
const poll = { timeout: 60_000, interval: 250 };

let namespace: string;
let core: CoreV1Api;
let lg: ReturnType<typeof latticeguardObjects>;
let op: ProxyOperator;
const endpoints: TestEndpoint[] = [];
afterAll(() => Promise.all(endpoints.map((e) => e.close())));

async function pod(name: string, port: number, annotations: Record<string, string> = {}) {
  await core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name: `${name}-0`, labels: { app: name }, annotations },
      spec: {
        containers: [
          { name: "server", image: "mcp", ports: [{ name: "mcp", containerPort: port }] },
        ],
      },
    },
  });
  await core.patchNamespacedPodStatus(
    {
      namespace,
      name: `${name}-0`,
      body: { status: { podIP: "127.0.0.1", podIPs: [{ ip: "127.0.0.1" }] } },
    },
    setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
  );
}

async function serve(identity: TestWorkload, groups: string[]): Promise<TestEndpoint> {
  const e = await tlsEndpoint({ ...identity, groups });
  endpoints.push(e);
  return e;
}

const transportOf = async (name: string) => (await lg.readServer(name)).status?.transport;
const conditionOf = async (name: string, type: string) =>
  findCondition((await lg.readServer(name)).status?.conditions, type);
const eventsOf = async (name: string): Promise<CoreV1Event[]> =>
  (await core.listNamespacedEvent({ namespace })).items.filter(
    (e) => e.involvedObject.name === name && e.reason?.startsWith("Transport"),
  );

beforeAll(async () => {
  let kc;
  ({ kc, namespace } = await testNamespace("probe"));
  lg = latticeguardObjects(kc, namespace);
  core = lg.core;
  await lg.selectNamespace();
  await lg.createPolicy(`probe-${namespace}`, {
    enforcement: "Enforce",
    kem: { algorithms: ["ML-KEM-768"], rotationPeriod: `${ROTATION_MS}ms`, gracePeriod: "1s" },
  });
  op = await startProxyOperator([
    "--probe-interval=40s",
    `--probe-timeout=${PROBE_TIMEOUT_S}s`,
    "--probe-concurrency=4",
  ]);
  const [active] = (await anchors(op)).filter((a) => a.state === "active");
  const anchor = {
    certificate: active!.certificate,
    key: { algorithm: active!.algorithm, seed: active!.seed },
    trustDomain: "cluster.local",
  };
  // Issued from the start of the anchor's validity (which begins now), as the issuance API would.
  const issued = await testWorkload(anchor, {
    serviceAccount: "pq",
    namespace,
    now: new Date(active!.notBefore + 60_000),
  });
  const stranger = await testWorkload(await testAnchor(), { serviceAccount: "x", namespace });
  const closed = await tlsEndpoint({ ...issued, groups: ["X25519MLKEM768"] });
  await closed.close();
  const silent = await blackhole();
  endpoints.push(silent);
  const servers: [string, number, Record<string, string>?][] = [
    ["pq", (await serve(issued, ["X25519MLKEM768"])).port],
    [
      "downgrade",
      (await serve(issued, ["X25519MLKEM768", "X25519"])).port,
      { "latticeguard.dev/transport": "X25519MLKEM768" },
    ],
    ["wrong-ca", (await serve(stranger, ["MLKEM1024"])).port],
    ["closed", closed.port],
    ["silent", silent.port],
  ];
  for (const [name, port, annotations] of servers) {
    await lg.createServer(name, { proxy: { mode: "Disabled" } });
    await pod(name, port, annotations);
  }
  await lg.createServer("empty", { proxy: { mode: "Disabled" } });
}, 90_000);

describe("the handshake probe", () => {
  it("verifies a post-quantum-only server with a LatticeGuard-issued ML-DSA certificate", async () => {
    const transport = await vi.waitFor(async () => {
      const t = await transportOf("pq");
      if (!t) throw new Error("not probed yet");
      return t;
    }, poll);
    expect(transport).toMatchObject({
      result: "Verified",
      group: "X25519MLKEM768",
      tlsVersion: "1.3",
      certificateAlgorithm: "ML-DSA-65",
      spiffeId: `spiffe://cluster.local/ns/${namespace}/sa/pq`,
      probed: 1,
      verified: 1,
    });
    await vi.waitFor(async () => {
      expect(await conditionOf("pq", "TransportVerified")).toMatchObject({
        status: "True",
        reason: "PostQuantumVerified",
      });
      expect((await eventsOf("pq")).map((e) => e.reason)).toEqual(["TransportVerified"]);
    }, poll);
    expect(
      await op.operator.metric("latticeguard_transport_probes_total", {
        result: "Verified",
        group: "X25519MLKEM768",
      }),
    ).toBeGreaterThanOrEqual(1);
  });

  it.each([
    ["downgrade", "ClassicalGroupAccepted", /accepted a classical-only handshake \(X25519\)/],
    ["wrong-ca", "UntrustedCertificate", /does not chain to the trust bundle/],
    ["closed", "Unreachable", /is unreachable \(connect ECONNREFUSED/],
    ["empty", "NoEndpoints", /No selected pod/],
  ])("reports %s as %s", async (name, reason, message) => {
    await vi.waitFor(async () => {
      const condition = await conditionOf(name, "TransportVerified");
      expect(condition).toMatchObject({ status: "False", reason });
      expect(condition?.message).toMatch(message);
    }, poll);
  });

  it("reports a claimed pod that fails the probe as a false claim, not Ready under Enforce", async () => {
    await vi.waitFor(async () => {
      const server: MCPServer = await lg.readServer("downgrade");
      expect(server.status?.transport).toMatchObject({ falseClaims: 1, downgradable: 1 });
      expect(findCondition(server.status?.conditions, "Ready")).toMatchObject({
        status: "False",
        reason: "FalseTransportClaim",
      });
      expect((await eventsOf("downgrade")).map((e) => e.reason)).toEqual(["TransportDowngradable"]);
    }, poll);
    expect(
      await op.operator.metric("latticeguard_transport_false_claims", {
        mcpserver: "downgrade",
      }),
    ).toBe(1);
  });

  it("keeps rotating keys while an endpoint never answers, then times it out", async () => {
    // The silent endpoint holds its probe for PROBE_TIMEOUT_S; the MCPServer queue must not notice.
    const seen = new Set<string>();
    await vi.waitFor(
      async () => {
        const server = await lg.readServer("pq");
        const id = server.status?.kem?.activeKeyId;
        if (id) seen.add(id);
        expect(await transportOf("silent")).toBeUndefined();
        if (seen.size < 3) throw new Error(`only ${seen.size} active keys seen so far`);
      },
      { timeout: PROBE_TIMEOUT_S * 1000, interval: 200 },
    );
    await vi.waitFor(async () => {
      const transport = await transportOf("silent");
      expect(transport).toMatchObject({ result: "Unreachable" });
      expect(transport?.message).toMatch(`no TLS handshake within ${PROBE_TIMEOUT_S} s`);
    }, poll);
  });
});
