/**
 * The handshake probe against real TLS servers on loopback: MCPServers and pods in the real API server,
 * each pod's `status.podIP` set to 127.0.0.1 through the pods' status subresource and its `mcp` port
 * pointing at one of the servers below; the operator a real process, its trust anchor the one that
 * issues the well-behaved servers' ML-DSA certificates.
 */
import type { CoreV1Api, CoreV1Event } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { reportPodRunning } from "../../hack/kubelet.ts";
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

/** How long the silent endpoint's probe stays pending: room for ROTATIONS on a slow, loaded machine. */
const PROBE_TIMEOUT_S = 30;
const ROTATION_MS = 3_000;
/** Rotations of another server's keys that must happen while the silent endpoint's probe is pending. */
const ROTATIONS = 3;
const poll = { timeout: 60_000, interval: 250 };
/**
 * The first round that sees the servers: the operator starts before they are created, so its first
 * round (at most 10 s in) may find none, and the next comes 36–44 s later.
 */
const firstRound = { timeout: 90_000, interval: 250 };

let namespace: string;
let core: CoreV1Api;
let lg: ReturnType<typeof latticeguardObjects>;
let op: ProxyOperator;
const endpoints: TestEndpoint[] = [];
let silent: TestEndpoint;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
afterAll(() => Promise.all(endpoints.map((e) => e.close())));

async function pod(name: string, port: number, annotations: Record<string, string> = {}) {
  const created = await core.createNamespacedPod({
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
  await reportPodRunning(core, created, "127.0.0.1");
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
  silent = await blackhole();
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
    }, firstRound);
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
  }, 150_000);

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
    // The probe's connection to the silent endpoint is open and unanswered for PROBE_TIMEOUT_S: while
    // it is, the MCPServer queue must go on rotating another server's keys. Timing-free: each key is
    // counted only if the connection was still open after it was read, and the test fails as soon as
    // the connection closes with fewer than ROTATIONS seen, however slow the machine.
    await silent.connected();
    const before = await transportOf("silent");
    const seen = new Set<string>();
    while (seen.size <= ROTATIONS) {
      const id = (await lg.readServer("pq")).status?.kem?.activeKeyId;
      const silentNow = await transportOf("silent");
      // Open after both reads: they were made while the probe was pending.
      if (silent.open === 0)
        throw new Error(
          `the silent endpoint's probe ended after ${Math.max(seen.size - 1, 0)} of ${ROTATIONS} rotations`,
        );
      expect(silentNow).toEqual(before);
      if (id) seen.add(id);
      await sleep(200);
    }
    await vi.waitFor(async () => {
      const transport = await transportOf("silent");
      expect(transport).toMatchObject({ result: "Unreachable" });
      expect(transport?.message).toMatch(`no TLS handshake within ${PROBE_TIMEOUT_S} s`);
    }, poll);
  }, 180_000);
});
