/**
 * What the webhook integration tests share: the webhook started in this process on 127.0.0.1 with its
 * self-managed TLS (a Secret of its own in `latticeguard-system`), informers over the real API server,
 * and a ValidatingWebhookConfiguration and a MutatingWebhookConfiguration (proxy injection) that point the
 * API server at it by URL, as the chart registers both. The configurations are scoped to namespaces (and
 * CryptoPolicies) labelled with this run's id, so no other test file's objects reach them, and are deleted
 * with the Secret after the file.
 *
 * @example
 * const hook = await startTestWebhook({ run: "a1b2c3" });
 * await hook.waitUntilCalled(namespace);
 */
import { AdmissionregistrationV1Api, CoreV1Api, type V1Namespace } from "@kubernetes/client-node";
import { pino } from "pino";
import { stringify } from "yaml";
import { tryKubectl, type KubectlResult } from "../../hack/kubectl.ts";
import { afterAll } from "vitest";
import { API_VERSION, GROUP, VERSION } from "../../operator/api/crd.ts";
import type { CryptoPolicy, MCPServer } from "../../operator/api/types.generated.ts";
import { apiEventRecorder } from "../../operator/events.ts";
import { createMetrics, type Metrics } from "../../operator/metrics.ts";
import { Informer } from "../../operator/runtime/informer.ts";
import {
  mutatingWebhookConfiguration,
  validatingWebhookConfiguration,
} from "../../webhook/configuration.ts";
import type { InjectionSettings } from "../../webhook/injection.ts";
import {
  SelfManagedCertificates,
  type SelfManagedOptions,
} from "../../webhook/tls/self-managed.ts";
import { startWebhook } from "../../webhook/webhook.ts";
import { kubeConfig, kubeconfigPath } from "./harness.ts";

/**
 * The label that scopes a test's webhook to its namespaces and CryptoPolicies.
 *
 * @example
 * await testNamespace("wh", { [RUN_LABEL]: run });
 */
export const RUN_LABEL = "latticeguard.dev/webhook-test";

/**
 * What the test webhook injects the proxy with (pods are never run here: the image is only compared).
 *
 * @example
 * expect(sidecar.image).toBe(TEST_INJECTION.proxyImage);
 */
export const TEST_INJECTION: InjectionSettings = {
  proxyImage: "ghcr.io/latticeguard/latticeguard:0.1.0",
  issuerUrl: "https://latticeguard-issuer.latticeguard-system.svc:8443",
  bundleConfigMap: "latticeguard-trust-bundle",
};

/**
 * A webhook under test.
 *
 * @example
 * await hook.certificates.sync();
 */
export interface TestWebhook {
  port: number;
  /** The name of both configurations. */
  configurationName: string;
  /** What the proxy is injected with. */
  injection: InjectionSettings;
  secretName: string;
  certificates: SelfManagedCertificates;
  metrics: Metrics;
  log: string[];
}

/**
 * Starts the webhook and registers it; everything is removed after the calling test file.
 *
 * @example
 * const hook = await startTestWebhook({ run, tlsGroups: "X25519MLKEM768" });
 */
export async function startTestWebhook(options: {
  run: string;
  tlsGroups?: string;
  certificates?: Partial<SelfManagedOptions>;
  /** Default {@link TEST_INJECTION}. */
  injection?: InjectionSettings;
  /** The namespace the configurations exclude as the operator's own; default `latticeguard-system`. */
  operatorNamespace?: string;
}): Promise<TestWebhook> {
  const kc = kubeConfig();
  const lines: string[] = [];
  const log = pino({ level: "debug" }, { write: (line: string) => void lines.push(line) });
  const configurationName = `latticeguard-test-${options.run}`;
  const injection = options.injection ?? TEST_INJECTION;
  const secretName = `webhook-test-${options.run}`;
  const informers = {
    namespaces: new Informer<V1Namespace>(kc, {
      resource: { apiVersion: "v1", plural: "namespaces" },
      log,
    }),
    policies: new Informer<CryptoPolicy>(kc, {
      resource: { apiVersion: API_VERSION, plural: "cryptopolicies" },
      log,
    }),
    servers: new Informer<MCPServer>(kc, {
      resource: { apiVersion: API_VERSION, plural: "mcpservers" },
      log,
    }),
  };
  for (const i of Object.values(informers)) i.start();
  await Promise.all(Object.values(informers).map((i) => i.whenSynced()));
  const certificates = new SelfManagedCertificates({
    kc,
    namespace: "latticeguard-system",
    secretName,
    webhookConfiguration: configurationName,
    mutatingWebhookConfiguration: configurationName,
    hosts: { dns: [], ips: ["127.0.0.1"] },
    log,
    ...options.certificates,
  });
  const metrics = createMetrics({ processMetrics: false });
  const webhook = await startWebhook({
    kc,
    address: { host: "127.0.0.1", port: 0 },
    caches: informers,
    certificates,
    log,
    events: apiEventRecorder(kc, log),
    metrics,
    tlsGroups: options.tlsGroups,
    injection,
  });
  await certificates.whenReady();
  const admissionApi = kc.makeApiClient(AdmissionregistrationV1Api);
  // Registered without caBundle: the self-managed loop patches it in.
  const scope = {
    name: configurationName,
    operatorNamespace: options.operatorNamespace ?? "latticeguard-system",
    url: `https://127.0.0.1:${webhook.port}`,
    namespaceSelector: [{ key: RUN_LABEL, operator: "In", values: [options.run] }],
  };
  const vwc = validatingWebhookConfiguration(scope);
  for (const w of vwc.webhooks ?? [])
    if (w.name.startsWith("cryptopolicies."))
      w.objectSelector = { matchLabels: { [RUN_LABEL]: options.run } };
  await admissionApi.createValidatingWebhookConfiguration({ body: vwc });
  await admissionApi.createMutatingWebhookConfiguration({
    body: mutatingWebhookConfiguration(scope),
  });
  await certificates.sync();

  afterAll(async () => {
    await admissionApi
      .deleteValidatingWebhookConfiguration({ name: configurationName })
      .catch(() => undefined);
    await admissionApi
      .deleteMutatingWebhookConfiguration({ name: configurationName })
      .catch(() => undefined);
    await webhook.stop();
    await Promise.all(Object.values(informers).map((i) => i.stop()));
    await kc
      .makeApiClient(CoreV1Api)
      .deleteNamespacedSecret({ name: secretName, namespace: "latticeguard-system" })
      .catch(() => undefined);
  });
  return {
    port: webhook.port,
    configurationName,
    injection,
    secretName,
    certificates,
    metrics,
    log: lines,
  };
}

/**
 * `kubectl apply -f -` of `objects`, as YAML; resolves with kubectl's exit code and output.
 *
 * @example
 * const { code, stderr } = await apply(pod("shop", "web", { app: "web" }));
 */
export function apply(...objects: object[]): Promise<KubectlResult> {
  const yaml = objects.map((o) => stringify(o)).join("---\n");
  return tryKubectl(kubeconfigPath(), ["apply", "-f", "-"], yaml);
}

/**
 * A Pod with one container whose port is named `mcp`.
 *
 * @example
 * pod("shop", "web", { app: "web" }, { "latticeguard.dev/transport": "X25519MLKEM768" });
 */
export function pod(
  namespace: string,
  name: string,
  labels: Record<string, string>,
  annotations: Record<string, string> = {},
) {
  const ports = [{ name: "mcp", containerPort: 8443 }];
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace, labels, annotations },
    spec: { containers: [{ name: "server", image: "example.com/mcp:1", ports }] },
  };
}

/**
 * A Deployment whose template is {@link pod}'s.
 *
 * @example
 * deployment("shop", "web", { app: "web" });
 */
export function deployment(
  namespace: string,
  name: string,
  labels: Record<string, string>,
  annotations: Record<string, string> = {},
) {
  const { metadata, spec } = pod(namespace, name, labels, annotations);
  // No empty annotations: the API server drops an empty map, and `kubectl apply` would then patch it in
  // again on every apply ("configured" where nothing changes).
  const template = {
    metadata: {
      labels: metadata.labels,
      ...(Object.keys(annotations).length && { annotations: metadata.annotations }),
    },
    spec,
  };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace },
    spec: { selector: { matchLabels: labels }, template },
  };
}

/**
 * An MCPServer selecting `labels`, optionally narrowing its KEM, with more of its spec in `extra` (its
 * proxy mode, its clients).
 *
 * @example
 * mcpServer("shop", "weather", { app: "weather" }, "X-Wing");
 * mcpServer("shop", "weather", { app: "weather" }, undefined, { proxy: { mode: "Sidecar" } });
 */
export function mcpServer(
  namespace: string,
  name: string,
  labels: Record<string, string>,
  kem?: string,
  extra: Record<string, unknown> = {},
) {
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: "MCPServer",
    metadata: { name, namespace },
    spec: {
      selector: { matchLabels: labels },
      port: "mcp",
      ...(kem && { kem: { algorithm: kem } }),
      ...extra,
    },
  };
}
