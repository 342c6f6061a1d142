/**
 * The Helm chart, proven in a real API server of its own (a dedicated control plane: the chart installs
 * the CRDs and a cluster-wide webhook, which the shared one must not get):
 *
 * - `helm install` succeeds and creates what it should;
 * - the operator, run here with the chart's own arguments and a TokenRequest token for the chart's
 *   ServiceAccount, does its whole job: it patches the chart's webhook configuration, rotates keys,
 *   answers the API server's admission calls through the chart's Service, and issues an identity — and
 *   logs no request that RBAC refused;
 * - what the chart does not grant is refused;
 * - a real Prometheus scraping the operator sees the rotations, and the dashboard's "MCP proxy" row shows
 *   data from a proxy's real metrics endpoint (the proxy's own registry and server);
 * - promtool accepts the chart's alerting rules and their unit tests pass.
 *
 * There is no kube-proxy or kubelet here: the API server reaches the webhook Service through an
 * EndpointSlice that points at this machine's own address (chart-harness.ts). A namespace-scoped install
 * is proven in chart-namespaced.test.ts.
 */
import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  AdmissionregistrationV1Api,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PolicyV1Api,
  type V1Deployment,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startControlPlane, type ControlPlane } from "../../hack/control-plane.ts";
import { helm, kubectl, tryKubectl } from "../../hack/kubectl.ts";
import { repoRoot } from "../../hack/tools.ts";
import { GROUP, VERSION } from "../../operator/api/crd.ts";
import type { MCPServer } from "../../operator/api/types.generated.ts";
import { serveProxyHttp, type ProxyHttp } from "../../operator/proxy/http.ts";
import { createProxyMetrics } from "../../operator/proxy/metrics.ts";
import { silent } from "../../operator/proxy/testing.ts";
import { agentIdentity } from "./agent-identity.ts";
import { forbiddenRequests, startChartOperator } from "./chart-harness.ts";
import type { OperatorProcess } from "./operator-process.ts";
import { startPrometheus, type RunningPrometheus } from "./prometheus.ts";

const run = promisify(execFile);
const CHART = join(repoRoot, "charts/latticeguard");
const NAMESPACE = "latticeguard-system";
const poll = { timeout: 60_000, interval: 250 };

let cp: ControlPlane;
let admin: KubeConfig;
let deployment: V1Deployment;
let operator: OperatorProcess;
let operatorKubeconfig: string;
let prometheus: RunningPrometheus | undefined;
let proxyHttp: ProxyHttp | undefined;
let proxyTraffic: NodeJS.Timeout | undefined;

beforeAll(async () => {
  cp = await startControlPlane({ log: () => undefined });
  admin = new KubeConfig();
  admin.loadFromFile(cp.kubeconfigPath);
  await helm(cp.kubeconfigPath, [
    "install",
    "latticeguard",
    CHART,
    `--namespace=${NAMESPACE}`,
    "--create-namespace",
    "--set=grafanaDashboard.enabled=true",
  ]);
  const apps = admin.makeApiClient(AppsV1Api);
  deployment = await apps.readNamespacedDeployment({ name: "latticeguard", namespace: NAMESPACE });
}, 180_000);

afterAll(async () => {
  clearInterval(proxyTraffic);
  await operator?.stop();
  await prometheus?.stop();
  await proxyHttp?.close();
  await cp?.stop();
});

describe("helm install", () => {
  it("installs the CRDs, established and kept on uninstall", async () => {
    for (const crd of ["mcpservers", "cryptopolicies"]) {
      const out = await kubectl(cp.kubeconfigPath, ["get", "crd", `${crd}.${GROUP}`, "-o", "json"]);
      const object = JSON.parse(out) as {
        metadata: { annotations?: Record<string, string> };
        status: { conditions: { type: string; status: string }[] };
      };
      expect(object.metadata.annotations?.["helm.sh/resource-policy"]).toBe("keep");
      expect(object.status.conditions).toContainEqual(
        expect.objectContaining({ type: "Established", status: "True" }),
      );
    }
  });

  it("creates a restricted, highly available Deployment", () => {
    const spec = deployment.spec!;
    expect(spec.replicas).toBe(2);
    const pod = spec.template.spec!;
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    });
    const container = pod.containers[0]!;
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(container.livenessProbe?.httpGet?.path).toBe("/healthz");
    expect(container.readinessProbe?.httpGet?.path).toBe("/readyz");
    expect(container.args?.[0]).toBe("operator");
    expect(pod.affinity?.podAntiAffinity).toBeDefined();
    expect(container.resources?.requests).toBeDefined();
  });

  it("creates the Services, the PodDisruptionBudget, the webhook configuration and the dashboard", async () => {
    const core = admin.makeApiClient(CoreV1Api);
    const services = await core.listNamespacedService({ namespace: NAMESPACE });
    expect(services.items.map((s) => s.metadata!.name).sort()).toEqual([
      "latticeguard-issuer",
      "latticeguard-metrics",
      "latticeguard-webhook",
    ]);
    const pdbs = await admin
      .makeApiClient(PolicyV1Api)
      .listNamespacedPodDisruptionBudget({ namespace: NAMESPACE });
    expect(pdbs.items).toHaveLength(1);
    const vwc = await admin
      .makeApiClient(AdmissionregistrationV1Api)
      .readValidatingWebhookConfiguration({ name: "latticeguard" });
    expect(vwc.webhooks?.map((w) => w.name)).toEqual([
      "pods.latticeguard.dev",
      "mcpservers.latticeguard.dev",
      "cryptopolicies.latticeguard.dev",
    ]);
    for (const webhook of vwc.webhooks ?? []) {
      expect(webhook.clientConfig.service).toMatchObject({
        namespace: NAMESPACE,
        name: "latticeguard-webhook",
      });
      expect(webhook.failurePolicy).toBe("Fail");
    }
    const mwc = await admin
      .makeApiClient(AdmissionregistrationV1Api)
      .readMutatingWebhookConfiguration({ name: "latticeguard" });
    expect(mwc.webhooks?.map((w) => [w.name, w.clientConfig.service?.path])).toEqual([
      ["inject.latticeguard.dev", "/mutate"],
    ]);
    const dashboards = await core.listConfigMapForAllNamespaces({
      labelSelector: "grafana_dashboard=1",
    });
    expect(dashboards.items).toHaveLength(1);
  });
});

describe("the operator with the chart's ServiceAccount", () => {
  beforeAll(async () => {
    ({ operator, kubeconfig: operatorKubeconfig } = await startChartOperator(admin, cp, NAMESPACE));
  }, 120_000);

  it("keeps the caBundle of the chart's webhook configurations current", async () => {
    const api = admin.makeApiClient(AdmissionregistrationV1Api);
    await vi.waitFor(async () => {
      const vwc = await api.readValidatingWebhookConfiguration({ name: "latticeguard" });
      const mwc = await api.readMutatingWebhookConfiguration({ name: "latticeguard" });
      expect(mwc.webhooks).toHaveLength(1);
      for (const webhook of [...(vwc.webhooks ?? []), ...(mwc.webhooks ?? [])])
        expect(Buffer.from(webhook.clientConfig.caBundle ?? "", "base64").toString()).toContain(
          "BEGIN CERTIFICATE",
        );
    }, poll);
  });

  it("rotates the keys of the quick start's MCPServers", async () => {
    await kubectl(cp.kubeconfigPath, ["apply", "-f", join(repoRoot, "config/samples")]);
    await kubectl(
      cp.kubeconfigPath,
      ["apply", "-f", "-"],
      JSON.stringify({
        apiVersion: `${GROUP}/${VERSION}`,
        kind: "CryptoPolicy",
        metadata: { name: "chart-fast-rotation" },
        spec: {
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "mcp-demo" } },
          kem: { rotationPeriod: "4s", gracePeriod: "1s" },
        },
      }),
    );
    const custom = admin.makeApiClient(CustomObjectsApi);
    const read = async (name: string) =>
      (await custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        plural: "mcpservers",
        namespace: "mcp-demo",
        name,
      })) as MCPServer;
    const first = await vi.waitFor(async () => {
      const server = await read("weather");
      const ready = server.status?.conditions?.find((c) => c.type === "KeysReady");
      expect(ready?.status).toBe("True");
      return server.status!.kem!.activeKeyId;
    }, poll);
    await vi.waitFor(async () => {
      expect((await read("weather")).status?.kem?.activeKeyId).not.toBe(first);
    }, poll);
  });

  it("has the API server call its webhook through the chart's Service, and refuses a plain MCP pod", async () => {
    const namespace = {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "mcp-restricted", labels: { "latticeguard.dev/tier": "restricted" } },
    };
    await kubectl(cp.kubeconfigPath, ["apply", "-f", "-"], JSON.stringify(namespace));
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "plain-mcp", namespace: "mcp-restricted" },
      spec: {
        containers: [
          {
            name: "mcp",
            image: "example.com/mcp:1",
            ports: [{ name: "mcp", containerPort: 8443 }],
          },
        ],
      },
    };
    // The webhook answers from its caches, which see the new namespace within moments: ask with dry
    // runs (which admission sees, but nothing stores) until it answers, then for real.
    const create = (...flags: string[]) =>
      tryKubectl(cp.kubeconfigPath, ["create", "-f", "-", ...flags], JSON.stringify(pod));
    await vi.waitFor(async () => expect((await create("--dry-run=server")).code).not.toBe(0), {
      ...poll,
      timeout: 20_000,
    });
    const result = await create();
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('The Pod "plain-mcp" is invalid');
    expect(result.stderr).toContain(
      "metadata.annotations[latticeguard.dev/transport]: must name the TLS 1.3 key-exchange group",
    );
  });

  it("injects the proxy, from the chart's image, into the pods of an MCPServer that asks for it", async () => {
    await kubectl(
      cp.kubeconfigPath,
      ["apply", "-f", "-"],
      JSON.stringify({
        apiVersion: `${GROUP}/${VERSION}`,
        kind: "MCPServer",
        metadata: { name: "proxied", namespace: "mcp-demo" },
        spec: {
          selector: { matchLabels: { app: "proxied" } },
          port: "mcp",
          proxy: { mode: "Sidecar" },
        },
      }),
    );
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "proxied-0", namespace: "mcp-demo", labels: { app: "proxied" } },
      spec: {
        containers: [
          {
            name: "mcp",
            image: "example.com/mcp:1",
            ports: [{ name: "mcp", containerPort: 8443 }],
          },
        ],
      },
    };
    const chartImage = deployment.spec!.template.spec!.containers[0]!.image;
    // The webhook answers from its caches, which see the new MCPServer within moments.
    await vi.waitFor(async () => {
      const out = await kubectl(
        cp.kubeconfigPath,
        ["create", "--dry-run=server", "-o", "json", "-f", "-"],
        JSON.stringify(pod),
      );
      const created = JSON.parse(out) as {
        spec: { initContainers?: { name: string; image: string }[] };
      };
      expect(created.spec.initContainers?.map((c) => [c.name, c.image])).toEqual([
        ["latticeguard-proxy", chartImage],
      ]);
    }, poll);
  });

  it("issues a workload identity to a pod an MCPServer selects", async () => {
    const started = operator.logs.find((l) => l.msg === "Started operator")!;
    const { identity } = await agentIdentity(admin.makeApiClient(CoreV1Api), {
      namespace: "mcp-demo",
      pod: "weather-0",
      serviceAccount: "weather",
      labels: { app: "weather-mcp" },
      issuerPort: started.issuerPort as number,
    });
    expect(identity.spiffeId).toBe("spiffe://cluster.local/ns/mcp-demo/sa/weather");
  });

  it("was refused nothing it needed", () => {
    expect(forbiddenRequests(operator)).toEqual([]);
  });
});

describe("what the chart does not grant", () => {
  const refusals: [string, string[]][] = [
    ["delete a Secret", ["delete", "secret", "latticeguard-trust-anchor", `-n=${NAMESPACE}`]],
    ["mint a token for another ServiceAccount", ["create", "token", "default", "-n=mcp-demo"]],
    ["create a Pod", ["run", "intruder", "--image=example.com/x:1", "-n=mcp-demo"]],
    ["list nodes", ["get", "nodes"]],
    [
      "change the Deployment",
      ["scale", "deployment/latticeguard", "--replicas=0", `-n=${NAMESPACE}`],
    ],
    [
      "edit RBAC",
      ["create", "clusterrolebinding", "escalate", "--clusterrole=cluster-admin", "--user=x"],
    ],
    ["delete a CryptoPolicy", ["delete", "cryptopolicy", "baseline"]],
  ];
  it.each(refusals)("refuses to %s", async (_, args) => {
    const result = await tryKubectl(operatorKubeconfig, args);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/forbidden/i);
  });
});

/**
 * The metrics endpoint of an inbound proxy of MCPServer mcp-demo/weather (the proxy's own registry and
 * HTTP server), with traffic that keeps every series moving: requests, handshakes, a refusal, bytes.
 */
async function startProxyMetrics(): Promise<ProxyHttp> {
  const metrics = createProxyMetrics(
    { namespace: "mcp-demo", mcpserver: "weather", direction: "inbound" },
    { processMetrics: false },
  );
  metrics.identityExpiry.set(Date.now() / 1000 + 3600);
  proxyTraffic = setInterval(() => {
    metrics.requests.inc({ code: "200" });
    metrics.handshakes.observe(
      { group: "X25519MLKEM768", certificate_algorithm: "ML-DSA-65" },
      0.004,
    );
    metrics.refused.inc({ reason: "ClientNotAllowed" });
    metrics.bytes.inc({ flow: "received" }, 512);
    metrics.bytes.inc({ flow: "sent" }, 2048);
  }, 100);
  return serveProxyHttp(
    { host: "127.0.0.1", port: 0 },
    {
      registry: metrics.registry,
      ready: () => true,
      log: silent,
    },
  );
}

interface Dashboard {
  panels: { type: string; title: string; targets?: { expr: string }[] }[];
}

const readDashboard = async () =>
  JSON.parse(await readFile(join(CHART, "files/grafana-dashboard.json"), "utf8")) as Dashboard;

describe("observability", () => {
  beforeAll(async () => {
    proxyHttp = await startProxyMetrics();
    prometheus = await startPrometheus([
      `127.0.0.1:${operator.port}`,
      `127.0.0.1:${proxyHttp.port}`,
    ]);
  });

  it("shows the rotations in a real Prometheus", async () => {
    const rotations = await vi.waitFor(async () => {
      const value = await prometheus!.query(
        'sum(latticeguard_kem_rotations_total{namespace="mcp-demo"})',
      );
      expect(value).toBeGreaterThan(0);
      return value!;
    }, poll);
    // Prometheus scraped what the operator counts (which only grows).
    expect(rotations).toBeLessThanOrEqual(
      await operator.metric("latticeguard_kem_rotations_total", { namespace: "mcp-demo" }),
    );
    // The proxy's endpoint too, which Prometheus may not have scraped yet.
    await vi.waitFor(async () => expect(await prometheus!.targetsUp()).toBe(true), poll);
  });

  it("shows a proxy's series on every panel of the dashboard's MCP proxy row", async () => {
    const { panels } = await readDashboard();
    const start = panels.findIndex((p) => p.type === "row" && p.title === "MCP proxy");
    const end = panels.findIndex((p, i) => i > start && p.type === "row");
    const row = panels.slice(start + 1, end < 0 ? undefined : end);
    const exprs = row.flatMap((p) => p.targets ?? []).map((t) => t.expr);
    expect(exprs).toHaveLength(7);
    for (const expr of exprs) {
      // The proxy is scraped every second: 10 s hold several samples.
      const query = expr.replaceAll("$__rate_interval", "10s").replaceAll("$namespace", "mcp-demo");
      await vi.waitFor(async () => {
        const samples = await prometheus!.samples(query);
        expect(samples.length, query).toBeGreaterThan(0);
        for (const { value } of samples) expect(value, query).toBeGreaterThan(0);
      }, poll);
    }
  });

  // The chart's unit tests prove the PrometheusRule and the dashboard carry exactly these files.
  it("ships alerting rules promtool accepts, with passing rule tests", async () => {
    const files = join(CHART, "files");
    const check = await run("promtool", ["check", "rules", "prometheus-rules.yaml"], {
      cwd: files,
    });
    expect(check.stdout).toMatch(/SUCCESS: \d+ rules found/);
    const tests = await run("promtool", ["test", "rules", "prometheus-rules.test.yaml"], {
      cwd: files,
    });
    expect(tests.stdout).toContain("SUCCESS");
  });

  it("ships a dashboard whose every query Prometheus parses", async () => {
    const dashboard = await readDashboard();
    const exprs = dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
    expect(exprs.length).toBeGreaterThan(20);
    const rules = exprs.map((expr, i) => ({
      record: `dashboard:query${i}`,
      expr: expr.replaceAll("$__rate_interval", "5m").replaceAll("$namespace", ".*"),
    }));
    const file = join(cp.dir, "dashboard-queries.json");
    await writeFile(file, JSON.stringify({ groups: [{ name: "dashboard", rules }] }));
    await run("promtool", ["check", "rules", file]);
  });
});
