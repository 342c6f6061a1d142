/**
 * LatticeGuard's proxy injection against the real API server: `kubectl apply` of a Deployment, the real
 * deployment and replica-set controllers creating its pods, the API server calling the mutating webhook
 * (then the validating one) on each, and applying the JSON Patch it answers. What is asserted is what the
 * API server stored: pods with exactly one `latticeguard-proxy` native sidecar, its volumes, the
 * `latticeguard.dev/injected` annotation and the `latticeguard.dev/proxied` label; nothing changes on a second apply or a second call; the
 * validating webhook admits the proxied pods under `Enforce` and still refuses a pod with neither proxy
 * nor claim; an excluded namespace is left alone; and the opt-out is refused unless the policy allows it.
 * Pods are stored, never run: there are no nodes.
 */
import { randomBytes } from "node:crypto";
import { CoreV1Api, CustomObjectsApi, type V1Pod } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { stringify } from "yaml";
import { kubectl, tryKubectl } from "../../hack/kubectl.ts";
import { GROUP, VERSION } from "../../operator/api/crd.ts";
import { kubeConfig, kubeconfigPath, testNamespace } from "./harness.ts";
import {
  RUN_LABEL,
  TEST_INJECTION,
  apply,
  deployment,
  mcpServer,
  pod,
  startTestWebhook,
  type TestWebhook,
} from "./webhook-harness.ts";

const run = randomBytes(3).toString("hex");
const poll = { timeout: 30_000, interval: 250 };
const PQ = { "latticeguard.dev/transport": "X25519MLKEM768" };
const OPT_OUT = { "latticeguard.dev/inject": "false" };
const SIDECAR = { proxy: { mode: "Sidecar" } };
const ns = { enforce: "", optOut: "", operator: "" };
const policyNames: string[] = [];
let hook: TestWebhook;
const kc = kubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);

async function createPolicy(name: string, select: string, spec: object) {
  policyNames.push(name);
  await custom.createClusterCustomObject({
    group: GROUP,
    version: VERSION,
    plural: "cryptopolicies",
    body: {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: "CryptoPolicy",
      metadata: { name, labels: { [RUN_LABEL]: run } },
      spec: {
        namespaceSelector: { matchLabels: { [RUN_LABEL]: run, "injection-test": select } },
        transport: { keyExchange: ["X25519MLKEM768", "MLKEM1024"] },
        ...spec,
      },
    },
  });
}

const proxies = (p: V1Pod) =>
  [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? [])].filter(
    (c) => c.name === "latticeguard-proxy",
  );

/** The pods of `namespace` labelled `app`, once there are `count` of them. */
async function podsOf(namespace: string, app: string, count: number): Promise<V1Pod[]> {
  return vi.waitFor(async () => {
    const list = await core.listNamespacedPod({ namespace, labelSelector: `app=${app}` });
    expect(list.items).toHaveLength(count);
    return list.items;
  }, poll);
}

const replicas = (d: ReturnType<typeof deployment>, n: number) => ({
  ...d,
  spec: { ...d.spec, replicas: n },
});

beforeAll(async () => {
  for (const [key, select] of [
    ["enforce", "enforce"],
    ["optOut", "opt-out"],
    ["operator", "enforce"],
  ] as const)
    ({ namespace: ns[key] } = await testNamespace(`inj-${select}`, {
      [RUN_LABEL]: run,
      "injection-test": select,
    }));
  await createPolicy(`injection-enforce-${run}`, "enforce", { enforcement: "Enforce" });
  await createPolicy(`injection-opt-out-${run}`, "opt-out", {
    enforcement: "Enforce",
    transport: { keyExchange: ["X25519MLKEM768", "MLKEM1024"], allowOptOut: true },
  });
  // ns.operator is selected by the run label like the others: only the operator-namespace rule of the
  // configurations keeps the webhooks away from it.
  hook = await startTestWebhook({ run, operatorNamespace: ns.operator });
  for (const namespace of Object.values(ns))
    await vi.waitFor(() => core.readNamespacedServiceAccount({ name: "default", namespace }), poll);
  // The API server loads new webhook configurations asynchronously: wait until the mutating one answers.
  const probe = mcpServer(ns.enforce, "probe", { app: "probe" }, undefined, SIDECAR);
  await kubectl(kubeconfigPath(), ["apply", "-f", "-"], stringify(probe));
  await vi.waitFor(async () => {
    const out = await kubectl(
      kubeconfigPath(),
      ["create", "--dry-run=server", "-o", "json", "-f", "-"],
      stringify(pod(ns.enforce, "probe", { app: "probe" })),
    );
    expect(proxies(JSON.parse(out) as V1Pod)).toHaveLength(1);
  }, poll);
});

afterAll(async () => {
  for (const name of policyNames)
    await custom
      .deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: "cryptopolicies", name })
      .catch(() => undefined);
});

describe("a Deployment whose pods an MCPServer selects", () => {
  // Built when applied: the namespaces exist only once beforeAll has run.
  const manifests = () => [
    mcpServer(ns.enforce, "weather", { app: "weather" }, undefined, {
      ...SIDECAR,
      clients: [{ namespace: "agents" }, { namespace: "ops", serviceAccount: "bot" }],
    }),
    replicas(deployment(ns.enforce, "weather", { app: "weather" }), 2),
    // Auto, under Enforce: injected too.
    mcpServer(ns.enforce, "calendar", { app: "calendar" }),
    deployment(ns.enforce, "calendar", { app: "calendar" }),
  ];
  let first: V1Pod[];

  it("gets pods with exactly one latticeguard-proxy native sidecar, its volumes and the annotation", async () => {
    const r = await apply(...manifests());
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    first = await podsOf(ns.enforce, "weather", 2);
    for (const p of first) {
      expect(proxies(p)).toHaveLength(1);
      const [sidecar] = p.spec!.initContainers!;
      expect(sidecar).toMatchObject({
        name: "latticeguard-proxy",
        image: TEST_INJECTION.proxyImage,
        restartPolicy: "Always",
        args: [
          "proxy",
          "--listen=$(POD_IP):8443",
          "--upstream=127.0.0.1:8443",
          `--mcpserver=${ns.enforce}/weather`,
          `--issuer=${TEST_INJECTION.issuerUrl}`,
          "--groups=X25519MLKEM768,MLKEM1024",
          "--algorithm=ML-DSA-65",
          "--allow=namespace:agents",
          "--allow=serviceaccount:ops/bot",
        ],
      });
      expect(p.spec!.volumes!.map((v) => v.name)).toEqual(
        expect.arrayContaining([
          "latticeguard-token",
          "latticeguard-trust",
          "latticeguard-identity",
        ]),
      );
      const token = p.spec!.volumes!.find((v) => v.name === "latticeguard-token");
      expect(token?.projected?.sources?.[0]?.serviceAccountToken).toMatchObject({
        audience: "latticeguard.dev/identity",
        expirationSeconds: 3600,
        path: "token",
      });
      expect(p.metadata?.annotations?.["latticeguard.dev/injected"]).toBe("weather");
      // The label the chart's PodMonitor selects, beside the template's own.
      expect(p.metadata?.labels?.["latticeguard.dev/proxied"]).toBe("true");
    }
    const [calendar] = await podsOf(ns.enforce, "calendar", 1);
    expect(proxies(calendar!)).toHaveLength(1);
    expect(calendar!.metadata?.annotations?.["latticeguard.dev/injected"]).toBe("calendar");
    // The Deployment itself is not mutated: only the pods it makes.
    const stored = await kubectl(kubeconfigPath(), [
      "get",
      "deployment/weather",
      "-n",
      ns.enforce,
      "-o",
      "jsonpath={.spec.template.spec.initContainers}",
    ]);
    expect(stored).toBe("");
  });

  it("is admitted by the validating webhook under Enforce as having the proxy", async () => {
    const values = (await hook.metrics.admissionReviews.get()).values;
    const count = (labels: Record<string, string>) =>
      values
        .filter((v) =>
          Object.entries(labels).every(([k, x]) => (v.labels as Record<string, unknown>)[k] === x),
        )
        .reduce((n, v) => n + v.value, 0);
    const admitted = { webhook: "validate", decision: "allowed", mode: "Enforce" };
    expect(count({ ...admitted, resource: "deployments", transport: "sidecar" })).toBeGreaterThan(
      0,
    );
    expect(count({ ...admitted, resource: "pods", transport: "sidecar" })).toBeGreaterThanOrEqual(
      3,
    );
    expect(
      count({ webhook: "mutate", resource: "pods", transport: "sidecar" }),
    ).toBeGreaterThanOrEqual(3);
  });

  it("changes nothing when applied again: the same pods, each with one sidecar", async () => {
    const generation = () =>
      kubectl(kubeconfigPath(), [
        "get",
        "deployment/weather",
        "-n",
        ns.enforce,
        "-o",
        "jsonpath={.metadata.generation}",
      ]);
    const before = await generation();
    const r = await apply(...manifests());
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("deployment.apps/weather unchanged");
    expect(await generation()).toBe(before);
    // Long enough for a rollout the re-apply would have started to create a pod.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const again = await podsOf(ns.enforce, "weather", 2);
    expect(again.map((p) => p.metadata!.uid).sort()).toEqual(
      first.map((p) => p.metadata!.uid).sort(),
    );
    for (const p of again) expect(proxies(p)).toHaveLength(1);
  });

  it("does not inject twice when called again on a pod that has the proxy", async () => {
    const [stored] = first;
    const copy = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: "weather-copy",
        namespace: ns.enforce,
        labels: stored!.metadata!.labels,
        annotations: stored!.metadata!.annotations,
      },
      spec: { ...stored!.spec, nodeName: undefined },
    };
    const already = async () =>
      (await hook.metrics.sidecarInjections.get()).values.find(
        (v) => v.labels.outcome === "already_injected",
      )?.value ?? 0;
    const before = await already();
    const out = await kubectl(
      kubeconfigPath(),
      ["create", "--dry-run=server", "-o", "json", "-f", "-"],
      JSON.stringify(copy),
    );
    const created = JSON.parse(out) as V1Pod;
    expect(proxies(created)).toHaveLength(1);
    // Left alone because it has the proxy, not for another reason.
    expect(await already()).toBeGreaterThan(before);
    expect(created.spec!.volumes!.filter((v) => v.name === "latticeguard-token")).toHaveLength(1);
  });
});

describe("pods the proxy does not make compliant", () => {
  it("still refuses, under Enforce, a pod with neither the proxy nor a claim", async () => {
    await apply(
      mcpServer(ns.enforce, "plain", { app: "plain" }, undefined, { proxy: { mode: "Disabled" } }),
    );
    const r = await apply(pod(ns.enforce, "plain", { app: "plain" }));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('The Pod "plain" is invalid');
    expect(r.stderr).toContain(
      "metadata.annotations[latticeguard.dev/transport]: must name the TLS 1.3 key-exchange group",
    );
    expect(r.stderr).toContain('set `spec.proxy.mode: Sidecar` on MCPServer "plain"');
  });

  it("refuses a container named latticeguard-proxy that is not LatticeGuard's proxy", async () => {
    await apply(mcpServer(ns.enforce, "fake", { app: "fake" }, undefined, SIDECAR));
    const fake = pod(ns.enforce, "fake", { app: "fake" });
    const spec = {
      ...fake.spec,
      initContainers: [
        {
          name: "latticeguard-proxy",
          image: "example.com/not-the-proxy:1",
          restartPolicy: "Always",
        },
      ],
    };
    const r = await apply({ ...fake, spec });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      `spec.initContainers[0].image: must be the LatticeGuard proxy image ${TEST_INJECTION.proxyImage}, not example.com/not-the-proxy:1`,
    );
  });
});

describe("a namespace the webhooks exclude (the operator's own)", () => {
  it("is left alone: its pods are stored as they are", async () => {
    const r = await apply(
      mcpServer(ns.operator, "weather", { app: "weather" }, undefined, SIDECAR),
      deployment(ns.operator, "weather", { app: "weather" }),
    );
    expect(r.code).toBe(0);
    const [stored] = await podsOf(ns.operator, "weather", 1);
    expect(proxies(stored!)).toEqual([]);
    expect(stored!.metadata?.annotations?.["latticeguard.dev/injected"]).toBeUndefined();
    expect(stored!.metadata?.labels?.["latticeguard.dev/proxied"]).toBeUndefined();
  });
});

describe("opting out", () => {
  it("is refused where the policy does not allow it: the proxy is injected, with a warning", async () => {
    await apply(mcpServer(ns.enforce, "opting", { app: "opting" }, undefined, SIDECAR));
    const r = await apply(pod(ns.enforce, "opting-out", { app: "opting" }, OPT_OUT));
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      `Warning: latticeguard.dev/inject: "false" is ignored: CryptoPolicy "injection-enforce-${run}" does not allow opting out`,
    );
    const stored = await core.readNamespacedPod({ name: "opting-out", namespace: ns.enforce });
    expect(proxies(stored)).toHaveLength(1);
  });

  it("is honoured where the policy allows it, and the pod must then claim its transport", async () => {
    await apply(mcpServer(ns.optOut, "weather", { app: "weather" }, undefined, SIDECAR));
    const claimed = await apply(
      pod(ns.optOut, "claims", { app: "weather" }, { ...OPT_OUT, ...PQ }),
    );
    expect(claimed.stderr).toBe("");
    expect(claimed.code).toBe(0);
    const stored = await core.readNamespacedPod({ name: "claims", namespace: ns.optOut });
    expect(proxies(stored)).toEqual([]);
    const bare = await apply(pod(ns.optOut, "bare", { app: "weather" }, OPT_OUT));
    expect(bare.code).not.toBe(0);
    expect(bare.stderr).toContain(
      'opts out of LatticeGuard\'s proxy with latticeguard.dev/inject: "false"',
    );
    const injected = await apply(pod(ns.optOut, "staying-in", { app: "weather" }));
    expect(injected.code).toBe(0);
    const proxied = await core.readNamespacedPod({ name: "staying-in", namespace: ns.optOut });
    expect(proxies(proxied)).toHaveLength(1);
  });
});

describe("a cache that has not seen the MCPServer yet", () => {
  it("injects a pod applied together with the MCPServer that selects it", async () => {
    const r = await apply(
      mcpServer(ns.enforce, "together", { app: "together" }, undefined, SIDECAR),
      pod(ns.enforce, "together-0", { app: "together" }),
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const stored = await core.readNamespacedPod({ name: "together-0", namespace: ns.enforce });
    expect(proxies(stored)).toHaveLength(1);
  });
});

it("keeps the caBundle of the mutating configuration current", async () => {
  const out = await tryKubectl(kubeconfigPath(), [
    "get",
    "mutatingwebhookconfiguration",
    hook.configurationName,
    "-o",
    "jsonpath={.webhooks[0].clientConfig.caBundle}",
  ]);
  expect(Buffer.from(out.stdout, "base64").toString()).toContain("BEGIN CERTIFICATE");
});
