/**
 * A namespace-scoped install of the chart (`watchNamespaces`), proven in a real API server of its own as
 * chart.test.ts proves the cluster-wide one: the operator runs with the chart's arguments and a token for
 * the chart's ServiceAccount, so what it may do is exactly what the chart's Roles grant.
 *
 * - In the watched namespace it does its whole job: rotates keys, copies the trust bundle, answers the
 *   API server's admission calls, issues an identity.
 * - The other namespace it leaves alone: an MCPServer there gets no keys, no status and no bundle; the
 *   API server never calls the webhook for it; the issuance API refuses its pods (NamespaceNotWatched).
 * - RBAC refuses it Secrets, ConfigMaps, pods, MCPServers and the Namespace itself there, and any
 *   cluster-wide list of them, while granting them in the watched namespace.
 * - It logs no request that RBAC refused.
 *
 * The install enables the NetworkPolicy too, so the API server checks it (the chart's unit tests check
 * what it says); nothing here enforces it, as no network plugin runs.
 */
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parseAllDocuments } from "yaml";
import { startControlPlane, type ControlPlane } from "../../hack/control-plane.ts";
import { helm, kubectl, tryKubectl } from "../../hack/kubectl.ts";
import { repoRoot } from "../../hack/tools.ts";
import { GROUP, VERSION } from "../../operator/api/crd.ts";
import type { MCPServer } from "../../operator/api/types.generated.ts";
import { createCsr, nativeSignature } from "../../operator/crypto/index.ts";
import { DEFAULT_AUDIENCE } from "../../operator/identity/issuer/issuer.ts";
import { postToIssuer } from "../../operator/identity/issuer/test-client.ts";
import { agentIdentity } from "./agent-identity.ts";
import { forbiddenRequests, startChartOperator, type ChartOperator } from "./chart-harness.ts";

const CHART = `${repoRoot}/charts/latticeguard`;
const NAMESPACE = "latticeguard-system";
const WATCHED = "mcp-watched";
const OTHER = "mcp-other";
const poll = { timeout: 60_000, interval: 250 };

let cp: ControlPlane;
let admin: KubeConfig;
let core: CoreV1Api;
let chart: ChartOperator;

const apply = (object: object) =>
  kubectl(cp.kubeconfigPath, ["apply", "-f", "-"], JSON.stringify(object));

const mcpServer = (namespace: string) => ({
  apiVersion: `${GROUP}/${VERSION}`,
  kind: "MCPServer",
  metadata: { name: "weather", namespace },
  spec: { selector: { matchLabels: { app: "weather-mcp" } }, port: "mcp" },
});

const readServer = async (namespace: string) =>
  (await admin.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    plural: "mcpservers",
    namespace,
    name: "weather",
  })) as MCPServer;

/** A plain MCP pod: an `mcp` port and no post-quantum transport. */
const plainMcpPod = (namespace: string) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "plain-mcp", namespace },
  spec: {
    containers: [
      { name: "mcp", image: "example.com/mcp:1", ports: [{ name: "mcp", containerPort: 8443 }] },
    ],
  },
});

beforeAll(async () => {
  cp = await startControlPlane({ log: () => undefined });
  admin = new KubeConfig();
  admin.loadFromFile(cp.kubeconfigPath);
  core = admin.makeApiClient(CoreV1Api);
  // The chart's Roles go into the watched namespaces, which must exist first.
  for (const name of [WATCHED, OTHER]) await kubectl(cp.kubeconfigPath, ["create", "ns", name]);
  await helm(cp.kubeconfigPath, [
    "install",
    "latticeguard",
    CHART,
    `--namespace=${NAMESPACE}`,
    "--create-namespace",
    `--set=watchNamespaces={${WATCHED}}`,
    "--set=networkPolicy.enabled=true",
  ]);
  chart = await startChartOperator(admin, cp, NAMESPACE);
  // Until the operator has patched its CA in, the API server cannot call the webhook (and fails closed).
  await vi.waitFor(async () => {
    const vwc = await admin
      .makeApiClient(AdmissionregistrationV1Api)
      .readValidatingWebhookConfiguration({ name: "latticeguard" });
    for (const webhook of vwc.webhooks ?? []) expect(webhook.clientConfig.caBundle).toBeTruthy();
  }, poll);
  // Keys rotate every 4 s in both namespaces, as far as policy goes.
  await apply({
    apiVersion: `${GROUP}/${VERSION}`,
    kind: "CryptoPolicy",
    metadata: { name: "fast-rotation" },
    spec: {
      namespaceSelector: {
        matchExpressions: [
          { key: "kubernetes.io/metadata.name", operator: "In", values: [WATCHED, OTHER] },
        ],
      },
      kem: { rotationPeriod: "4s", gracePeriod: "1s" },
    },
  });
  for (const namespace of [WATCHED, OTHER]) await apply(mcpServer(namespace));
}, 240_000);

afterAll(async () => {
  await chart?.operator.stop();
  await cp?.stop();
});

describe("the chart's objects", () => {
  it("run the operator on the watched namespace only", () => {
    const args = chart.deployment.spec!.template.spec!.containers[0]!.args!;
    expect(args).toContain(`--watch-namespaces=${WATCHED}`);
  });

  it("admit only the watched namespace", async () => {
    const vwc = await admin
      .makeApiClient(AdmissionregistrationV1Api)
      .readValidatingWebhookConfiguration({ name: "latticeguard" });
    for (const webhook of vwc.webhooks ?? [])
      expect(webhook.namespaceSelector?.matchExpressions).toContainEqual({
        key: "kubernetes.io/metadata.name",
        operator: "In",
        values: [WATCHED],
      });
  });

  it("include a NetworkPolicy the API server stores as the chart wrote it", async () => {
    const manifest = await helm(cp.kubeconfigPath, [
      "get",
      "manifest",
      "latticeguard",
      `-n=${NAMESPACE}`,
    ]);
    const rendered = parseAllDocuments(manifest)
      .map((d) => d.toJS() as { kind?: string; spec?: unknown } | null)
      .find((o) => o?.kind === "NetworkPolicy");
    const stored = JSON.parse(
      await kubectl(cp.kubeconfigPath, [
        "get",
        "networkpolicy",
        "latticeguard",
        `-n=${NAMESPACE}`,
        "-o=json",
      ]),
    ) as { spec: unknown };
    // Nothing pruned (a misspelt field would be), nothing the chart left to defaults.
    expect(stored.spec).toEqual(rendered?.spec);
    expect(JSON.stringify(stored.spec)).toContain(WATCHED);
  });
});

describe("in the watched namespace", () => {
  it("rotates the MCPServer's keys", async () => {
    const first = await vi.waitFor(async () => {
      const server = await readServer(WATCHED);
      const ready = server.status?.conditions?.find((c) => c.type === "KeysReady");
      expect(ready?.status).toBe("True");
      return server.status!.kem!.activeKeyId;
    }, poll);
    await vi.waitFor(async () => {
      expect((await readServer(WATCHED)).status?.kem?.activeKeyId).not.toBe(first);
    }, poll);
  });

  it("copies the trust bundle and issues a workload identity", async () => {
    const { identity } = await agentIdentity(core, {
      namespace: WATCHED,
      pod: "weather-0",
      serviceAccount: "weather",
      labels: { app: "weather-mcp" },
      issuerPort: chart.issuerPort,
    });
    expect(identity.spiffeId).toBe(`spiffe://cluster.local/ns/${WATCHED}/sa/weather`);
  });
});

describe("in the other namespace", () => {
  // By now the watched namespace's keys have rotated: the operator has had every chance to act here.
  it("writes no keys, no status and no trust bundle", async () => {
    const server = await readServer(OTHER);
    expect(server.status).toBeUndefined();
    const secrets = await core.listNamespacedSecret({ namespace: OTHER });
    expect(secrets.items.map((s) => s.metadata!.name)).not.toContain("weather-kem");
    const configMaps = await core.listNamespacedConfigMap({ namespace: OTHER });
    const names = configMaps.items.map((c) => c.metadata!.name);
    expect(names).not.toContain("weather-kem-public");
    expect(names).not.toContain("latticeguard-trust-bundle");
  });

  it("refuses its pods an identity, without reading them", async () => {
    await vi.waitFor(
      () => core.readNamespacedServiceAccount({ name: "default", namespace: OTHER }),
      poll,
    );
    const pod = await core.createNamespacedPod({
      namespace: OTHER,
      body: {
        metadata: { name: "weather-0", labels: { app: "weather-mcp" } },
        spec: { containers: [{ name: "mcp", image: "example.com/mcp:1" }] },
      },
    });
    const token = await core.createNamespacedServiceAccountToken({
      name: "default",
      namespace: OTHER,
      body: {
        spec: {
          audiences: [DEFAULT_AUDIENCE],
          boundObjectRef: {
            kind: "Pod",
            apiVersion: "v1",
            name: "weather-0",
            uid: pod.metadata!.uid,
          },
        },
      },
    });
    const bundle = await core.readNamespacedConfigMap({
      name: "latticeguard-trust-bundle",
      namespace: NAMESPACE,
    });
    const csr = await createCsr({
      key: { algorithm: "ML-DSA-65", seed: nativeSignature.generateSeed("ML-DSA-65") },
    });
    const answer = await postToIssuer({
      port: chart.issuerPort,
      trust: bundle.data!["bundle.pem"]!,
      token: token.status!.token!,
      body: csr,
    });
    expect(answer.status).toBe(403);
    expect(answer.json).toEqual({
      reason: "NamespaceNotWatched",
      message: `LatticeGuard does not watch namespace "${OTHER}"`,
    });
  });

  it("is never asked to admit a pod, while the watched namespace is", async () => {
    await apply({
      apiVersion: `${GROUP}/${VERSION}`,
      kind: "CryptoPolicy",
      metadata: { name: "enforce-both" },
      spec: {
        enforcement: "Enforce",
        namespaceSelector: {
          matchExpressions: [
            { key: "kubernetes.io/metadata.name", operator: "In", values: [WATCHED, OTHER] },
          ],
        },
      },
    });
    const create = (namespace: string, ...flags: string[]) =>
      tryKubectl(
        cp.kubeconfigPath,
        ["create", "-f", "-", ...flags],
        JSON.stringify(plainMcpPod(namespace)),
      );
    // The webhook answers from its caches, which see the new policy within moments.
    await vi.waitFor(
      async () => expect((await create(WATCHED, "--dry-run=server")).code).not.toBe(0),
      { ...poll, timeout: 20_000 },
    );
    const denied = await create(WATCHED);
    expect(denied.stderr).toContain('The Pod "plain-mcp" is invalid');
    const admitted = await create(OTHER);
    expect(admitted.stderr).not.toContain("invalid");
    expect(admitted.code).toBe(0);
  });
});

describe("RBAC", () => {
  const as = (args: string[]) => tryKubectl(chart.kubeconfig, args);

  it.each<[string, string[]]>([
    ["read a Secret", ["get", "secret", "weather-kem", `-n=${OTHER}`]],
    ["list Secrets", ["get", "secrets", `-n=${OTHER}`]],
    ["create a Secret", ["create", "secret", "generic", "weather-kem", `-n=${OTHER}`]],
    ["list ConfigMaps", ["get", "configmaps", `-n=${OTHER}`]],
    ["create a ConfigMap", ["create", "configmap", "latticeguard-trust-bundle", `-n=${OTHER}`]],
    ["list pods", ["get", "pods", `-n=${OTHER}`]],
    ["list MCPServers", ["get", "mcpservers", `-n=${OTHER}`]],
    ["watch its Namespace", ["get", "namespaces", `--field-selector=metadata.name=${OTHER}`]],
    ["list Secrets cluster-wide", ["get", "secrets", "-A"]],
    ["list ConfigMaps cluster-wide", ["get", "configmaps", "-A"]],
    ["list pods cluster-wide", ["get", "pods", "-A"]],
    ["list Namespaces", ["get", "namespaces"]],
  ])("refuses to %s outside the watched namespace", async (_, args) => {
    const result = await as(args);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/forbidden/i);
  });

  it.each<[string, string[]]>([
    ["list Secrets", ["get", "secrets", `-n=${WATCHED}`]],
    ["list ConfigMaps", ["get", "configmaps", `-n=${WATCHED}`]],
    ["list pods", ["get", "pods", `-n=${WATCHED}`]],
    ["list MCPServers", ["get", "mcpservers", `-n=${WATCHED}`]],
    ["watch its Namespace", ["get", "namespaces", `--field-selector=metadata.name=${WATCHED}`]],
    ["list CryptoPolicies", ["get", "cryptopolicies"]],
  ])("grants what it needs: %s in the watched namespace", async (_, args) => {
    const result = await as(args);
    expect(result.stderr).not.toMatch(/forbidden/i);
    expect(result.code).toBe(0);
  });

  it("was refused nothing it needed", () => {
    expect(forbiddenRequests(chart.operator)).toEqual([]);
  });
});
