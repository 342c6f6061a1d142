/**
 * CryptoPolicy status against the real API server with a real operator: coverage counts what the policy
 * selects and how much complies (the impact preview); `kubectl get` shows which KEMs a policy allows; and
 * a team's policy that allows nothing together with a wider policy in the team's namespace is reported
 * on both policies (the wider one stays Ready: it still governs its other namespaces), on the MCPServers
 * of that namespace only, and as a Warning Event.
 */
import type { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { kubectl } from "../../hack/kubectl.ts";
import { TRANSPORT_ANNOTATION } from "../../operator/api/annotations.ts";
import type { Condition, CryptoPolicy, MCPServer } from "../../operator/api/types.generated.ts";
import { kubeconfigPath, testNamespace } from "./harness.ts";
import { latticeguardObjects, TEST_LABEL } from "./objects.ts";
import { startOperatorProcess, type OperatorProcess } from "./operator-process.ts";

let namespace: string;
/** A second namespace, a team's: unselected until the conflict test labels it. */
let team: string;
let kc: KubeConfig;
let core: CoreV1Api;

let operator: OperatorProcess;
const suffix = Math.random().toString(36).slice(2, 7);
const names = { strict: `strict-${suffix}`, hybrid: `hybrid-${suffix}`, wide: `wide-${suffix}` };
const TEAM_LABEL = "latticeguard.dev/test-team";
const poll = { timeout: 30_000, interval: 200 };

const kem = (algorithms: string[]) => ({
  kem: { algorithms, rotationPeriod: "1h", gracePeriod: "10m" },
});
let lg: ReturnType<typeof latticeguardObjects>;
const readPolicy = (name: string) => lg.readPolicy(name);
const readServer = (name: string) => lg.readServer(name);
const condition = (o: CryptoPolicy | MCPServer, type: string): Condition | undefined =>
  o.status?.conditions?.find((c) => c.type === type);

beforeAll(async () => {
  ({ kc, namespace } = await testNamespace("policy"));
  ({ namespace: team } = await testNamespace("policy-team"));
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
    expect(alpha.status?.pods).toEqual({ selected: 2, compliant: 1, proxied: 0, claimed: 1 });
    expect(alpha.status?.kem?.algorithm).toBe("ML-KEM-1024");
    expect(alpha.status?.effectivePolicy?.policies).toEqual([names.strict]);
  });

  it("shows in kubectl get which KEMs it allows, not only the preferred one", async () => {
    await lg.createPolicy(names.wide, {
      namespaceSelector: { matchLabels: { [TEST_LABEL]: `none-${suffix}` } },
      kem: {
        algorithms: ["ML-KEM-768", "ML-KEM-1024", "X-Wing"],
        rotationPeriod: "1h",
        gracePeriod: "10m",
      },
    });
    await vi.waitFor(async () => {
      expect((await readPolicy(names.wide)).status?.kem).toEqual({
        allowed: ["ML-KEM-768", "ML-KEM-1024", "X-Wing"],
        summary: "ML-KEM-768,+2",
      });
    }, poll);
    const [header, row] = (await kubectl(kubeconfigPath(), ["get", "cpol", names.wide])).split(
      "\n",
    );
    expect(header).toMatch(
      /^NAME\s+ENFORCEMENT\s+READY\s+CONFLICTING\s+KEM\s+ROTATION\s+NAMESPACES\s+SERVERS\s+COMPLIANT\s+SHADOW\s+AGE$/,
    );
    expect(row!.split(/\s+/).slice(0, 9)).toEqual([
      names.wide,
      "Audit",
      "True",
      "False",
      "ML-KEM-768,+2",
      "1h",
      "0",
      "0",
      "0",
    ]);
    const wide = await kubectl(kubeconfigPath(), ["get", "cpol", names.wide, "-o", "wide"]);
    expect(wide.split("\n")[0]).toMatch(/\sKEM\s+ALLOWED KEMS\s+ROTATION\s/);
    expect(wide).toContain('["ML-KEM-768","ML-KEM-1024","X-Wing"]');
    await lg.deletePolicy(names.wide);
  });

  it("keeps a policy Ready that conflicts in one of its namespaces, and reports the conflict there", async () => {
    // The team's namespace: the strict policy selects it too, and the team's policy allows only X-Wing.
    await core.patchNamespace({
      name: team,
      body: [
        { op: "add", path: `/metadata/labels/${TEST_LABEL.replace("/", "~1")}`, value: namespace },
        { op: "add", path: `/metadata/labels/${TEAM_LABEL.replace("/", "~1")}`, value: suffix },
      ],
    });
    const teamLg = latticeguardObjects(kc, team);
    await teamLg.createServer("gamma");
    await vi.waitFor(async () => {
      expect((await teamLg.readServer("gamma")).status?.kem?.algorithm).toBe("ML-KEM-1024");
    }, poll);
    await lg.createPolicy(names.hybrid, {
      namespaceSelector: { matchLabels: { [TEAM_LABEL]: suffix } },
      ...kem(["X-Wing"]),
    });

    await vi.waitFor(async () => {
      const strict = await readPolicy(names.strict);
      const conflicting = condition(strict, "Conflicting");
      expect(conflicting?.status).toBe("True");
      expect(conflicting?.message).toBe(
        `namespace ${team}: "${names.hybrid}", "${names.strict}" allow nothing for spec.kem.algorithms`,
      );
      // Valid, and still governing the file's own namespace: Ready.
      expect(condition(strict, "Ready")).toMatchObject({ status: "True", reason: "InForce" });
      expect(condition(strict, "Ready")?.message).toContain("in force in 1 of the 2 namespace(s)");
      // The team's policy governs nothing without conflict: not Ready.
      const hybrid = await readPolicy(names.hybrid);
      expect(condition(hybrid, "Conflicting")?.status).toBe("True");
      expect(condition(hybrid, "Ready")).toMatchObject({
        status: "False",
        reason: "PolicyConflict",
      });
    }, poll);
    const [, row] = (await kubectl(kubeconfigPath(), ["get", "cpol", names.strict])).split("\n");
    expect(row!.split(/\s+/).slice(0, 4)).toEqual([names.strict, "Audit", "True", "True"]);

    // The servers of the team's namespace report the conflict; those of the other namespace do not.
    await vi.waitFor(async () => {
      expect(condition(await teamLg.readServer("gamma"), "PolicyCompliant")).toMatchObject({
        status: "False",
        reason: "PolicyConflict",
      });
    }, poll);
    expect(condition(await readServer("beta"), "PolicyCompliant")?.status).toBe("True");
    // Keys keep rotating on the algorithm they had: a conflict never leaves a server without a key.
    expect((await teamLg.readServer("gamma")).status?.kem?.algorithm).toBe("ML-KEM-1024");
    const events = await core.listNamespacedEvent({ namespace: "default" });
    expect(
      events.items.some(
        (e) => e.reason === "PolicyConflict" && e.involvedObject.name === names.hybrid,
      ),
    ).toBe(true);

    await lg.deletePolicy(names.hybrid);
    await vi.waitFor(async () => {
      const strict = await readPolicy(names.strict);
      expect(condition(strict, "Conflicting")?.status).toBe("False");
      expect(condition(strict, "Ready")?.message).toContain("in force in the 2 namespace(s)");
      const compliant = condition(await teamLg.readServer("gamma"), "PolicyCompliant");
      expect(compliant?.status).toBe("True");
    }, poll);
  });
});
