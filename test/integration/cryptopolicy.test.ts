/**
 * CryptoPolicy status against the real API server with a real operator: coverage counts what the policy
 * selects and how much complies (the impact preview), and two policies that together allow nothing are
 * reported on both policies, on the MCPServers they govern, and as a Warning Event.
 */
import type { CoreV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { TRANSPORT_ANNOTATION } from "../../operator/api/annotations.ts";
import { testNamespace } from "./harness.ts";
import { latticeguardObjects } from "./objects.ts";
import { startOperatorProcess, type OperatorProcess } from "./operator-process.ts";

let namespace: string;
let core: CoreV1Api;

let operator: OperatorProcess;
const suffix = Math.random().toString(36).slice(2, 7);
const names = { strict: `strict-${suffix}`, hybrid: `hybrid-${suffix}` };
const poll = { timeout: 30_000, interval: 200 };

const kem = (algorithms: string[]) => ({
  kem: { algorithms, rotationPeriod: "1h", gracePeriod: "10m" },
});
let lg: ReturnType<typeof latticeguardObjects>;
const readPolicy = (name: string) => lg.readPolicy(name);
const readServer = (name: string) => lg.readServer(name);

beforeAll(async () => {
  let kc;
  ({ kc, namespace } = await testNamespace("policy"));
  lg = latticeguardObjects(kc, namespace);
  core = lg.core;
  await lg.selectNamespace();
  await lg.createPolicy(names.strict, kem(["ML-KEM-1024", "ML-KEM-768"]));
  for (const name of ["alpha", "beta"]) await lg.createServer(name);
  // Pods are stored and counted even though no node runs them. The namespace's `default`
  // ServiceAccount comes from kube-controller-manager.
  await vi.waitFor(() => core.readNamespacedServiceAccount({ name: "default", namespace }), poll);
  for (const [name, transport] of [
    ["alpha-1", "X25519MLKEM768"],
    ["alpha-2", undefined],
  ] as const) {
    await core.createNamespacedPod({
      namespace,
      body: {
        metadata: {
          name,
          labels: { app: "alpha" },
          ...(transport && { annotations: { [TRANSPORT_ANNOTATION]: transport } }),
        },
        spec: {
          containers: [
            {
              name: "mcp",
              image: "example.com/mcp:1",
              ports: [{ name: "mcp", containerPort: 8443 }],
            },
          ],
        },
      },
    });
  }
  operator = await startOperatorProcess();
});

afterAll(async () => {
  await operator?.stop();
});

describe("a CryptoPolicy's status", () => {
  it("previews its impact: what it covers and how much of it complies", async () => {
    await vi.waitFor(async () => {
      const p = await readPolicy(names.strict);
      expect(p.status?.coverage).toEqual({
        namespaces: 1,
        mcpServers: 2,
        compliantMCPServers: 2,
        pods: 2,
        compliantPods: 1,
      });
      expect(p.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
      expect(p.status?.observedGeneration).toBe(p.metadata.generation);
    }, poll);
    const alpha = await readServer("alpha");
    expect(alpha.status?.pods).toEqual({ selected: 2, compliant: 1 });
    expect(alpha.status?.kem?.algorithm).toBe("ML-KEM-1024");
    expect(alpha.status?.effectivePolicy?.policies).toEqual([names.strict]);
  });

  it("reports a conflict on both policies, on the servers and as an Event, and clears it", async () => {
    await lg.createPolicy(names.hybrid, kem(["X-Wing"]));
    for (const name of Object.values(names)) {
      await vi.waitFor(async () => {
        const conflicting = (await readPolicy(name)).status?.conditions?.find(
          (c) => c.type === "Conflicting",
        );
        expect(conflicting?.status).toBe("True");
        expect(conflicting?.message).toContain(`namespace ${namespace}`);
        expect(conflicting?.message).toContain(`"${names.hybrid}", "${names.strict}"`);
        expect(conflicting?.message).toContain("spec.kem.algorithms");
      }, poll);
    }
    await vi.waitFor(async () => {
      const compliant = (await readServer("beta")).status?.conditions?.find(
        (c) => c.type === "PolicyCompliant",
      );
      expect(compliant).toMatchObject({ status: "False", reason: "PolicyConflict" });
    }, poll);
    // Keys keep rotating on the algorithm they had: a conflict never leaves a server without a key.
    expect((await readServer("beta")).status?.kem?.algorithm).toBe("ML-KEM-1024");
    const events = await core.listNamespacedEvent({ namespace: "default" });
    expect(
      events.items.some(
        (e) => e.reason === "PolicyConflict" && e.involvedObject.name === names.hybrid,
      ),
    ).toBe(true);

    await lg.deletePolicy(names.hybrid);
    await vi.waitFor(async () => {
      const conflicting = (await readPolicy(names.strict)).status?.conditions?.find(
        (c) => c.type === "Conflicting",
      );
      expect(conflicting?.status).toBe("False");
      const compliant = (await readServer("beta")).status?.conditions?.find(
        (c) => c.type === "PolicyCompliant",
      );
      expect(compliant?.status).toBe("True");
    }, poll);
  });
});
