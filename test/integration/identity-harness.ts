/**
 * What the workload-identity integration tests share: the issuance API started in this process on
 * 127.0.0.1 with a static authority (an ML-DSA-87 anchor) and the operator's informers over the real API
 * server (pods as the operator caches them, with their service account);
 * workloads (a ServiceAccount and a Pod) created in the real API server; projected tokens from the real
 * TokenRequest API; a CryptoPolicy for the test's namespace, deleted after the file.
 *
 * @example
 * const issuer = await startTestIssuer({ authority });
 * const pod = await createWorkload(namespace, { name: "search-0", serviceAccount: "search", labels });
 * const token = await podToken(namespace, "search", pod);
 */
import { CoreV1Api, CustomObjectsApi, type V1Namespace, type V1Pod } from "@kubernetes/client-node";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterAll, expect, vi } from "vitest";
import { createMcpServerObject, createPolicyObject } from "../../hack/crd-objects.ts";
import { podToken as kubeletToken } from "../../hack/kubelet.ts";
import { API_VERSION, GROUP, VERSION } from "../../operator/api/crd.ts";
import type { CryptoPolicy, MCPServer } from "../../operator/api/types.generated.ts";
import {
  DEFAULT_AUDIENCE,
  startIssuer,
  type IssuanceReport,
} from "../../operator/identity/issuer/issuer.ts";
import { issuerPodFields } from "../../operator/identity/issuer/pod-read.ts";
import type { StaticAuthority } from "../../operator/identity/issuer/static-authority.ts";
import { Informer } from "../../operator/runtime/informer.ts";
import { kubeConfig } from "./harness.ts";

const kc = kubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);

/**
 * An issuer under test.
 *
 * @example
 * await refusals(issuer, "PodGone"); // 1
 */
export interface TestIssuer {
  port: number;
  url: string;
  registry: Registry;
  /** Every JSON log line the issuer wrote. */
  log: string[];
  /** Every `onIssued` report. */
  issued: IssuanceReport[];
  caches: {
    pods: Informer<V1Pod>;
    servers: Informer<MCPServer>;
    policies: Informer<CryptoPolicy>;
    namespaces: Informer<V1Namespace>;
  };
}

/**
 * Starts the issuer (and its informers) for the calling test file; stopped after it.
 *
 * @example
 * const issuer = await startTestIssuer({ authority });
 */
export async function startTestIssuer(options: {
  authority: StaticAuthority;
  /** How often the serving certificate checks for a new signer; default 10 s. */
  servingCheckIntervalMs?: number;
}): Promise<TestIssuer> {
  const lines: string[] = [];
  const log = pino({ level: "debug" }, { write: (line: string) => void lines.push(line) });
  const caches = {
    pods: new Informer<V1Pod>(kc, {
      resource: { apiVersion: "v1", plural: "pods" },
      transform: issuerPodFields,
      log,
    }),
    servers: new Informer<MCPServer>(kc, {
      resource: { apiVersion: API_VERSION, plural: "mcpservers" },
      log,
    }),
    policies: new Informer<CryptoPolicy>(kc, {
      resource: { apiVersion: API_VERSION, plural: "cryptopolicies" },
      log,
    }),
    namespaces: new Informer<V1Namespace>(kc, {
      resource: { apiVersion: "v1", plural: "namespaces" },
      log,
    }),
  };
  for (const informer of Object.values(caches)) informer.start();
  await Promise.all(Object.values(caches).map((i) => i.whenSynced()));
  const registry = new Registry();
  const issued: IssuanceReport[] = [];
  const issuer = await startIssuer({
    kc,
    address: { host: "127.0.0.1", port: 0 },
    caches,
    authority: options.authority,
    trustDomain: "cluster.local",
    servingNames: ["latticeguard-issuer.latticeguard-system.svc"],
    registry,
    log,
    onIssued: (report) => issued.push(report),
    serving: { checkIntervalMs: options.servingCheckIntervalMs },
    cachesReady: () => Object.values(caches).every((i) => i.synced),
  });
  await issuer.whenServing();
  afterAll(async () => {
    await issuer.stop();
    await Promise.all(Object.values(caches).map((i) => i.stop()));
  });
  return {
    port: issuer.port,
    url: `https://127.0.0.1:${issuer.port}`,
    registry,
    log: lines,
    issued,
    caches,
  };
}

/**
 * The value of a counter (0 when the series does not exist yet).
 *
 * @example
 * await counter(issuer, "latticeguard_identity_refusals_total", { reason: "PodGone" });
 */
export async function counter(
  issuer: TestIssuer,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const metric = await issuer.registry.getSingleMetric(name)?.get();
  return (metric?.values ?? [])
    .filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))
    .reduce((total, v) => total + v.value, 0);
}

/**
 * Creates the ServiceAccount (if missing) and a Pod running as it. A `nodeName` makes the pod linger as
 * terminating once deleted (no kubelet confirms it), until it is force-deleted after the file.
 *
 * @example
 * const pod = await createWorkload(ns, { name: "search-0", serviceAccount: "search", labels: { app: "search" } });
 */
export async function createWorkload(
  namespace: string,
  options: {
    name: string;
    serviceAccount: string;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
    nodeName?: string;
  },
): Promise<V1Pod> {
  await core
    .createNamespacedServiceAccount({
      namespace,
      body: { metadata: { name: options.serviceAccount } },
    })
    .catch((error: { code?: number }) => {
      if (error.code !== 409) throw error;
    });
  const pod = await core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name: options.name, labels: options.labels, annotations: options.annotations },
      spec: {
        serviceAccountName: options.serviceAccount,
        ...(options.nodeName && { nodeName: options.nodeName }),
        containers: [
          {
            name: "server",
            image: "example.com/mcp:1",
            ports: [{ name: "mcp", containerPort: 8443 }],
          },
        ],
      },
    },
  });
  if (options.nodeName)
    afterAll(() =>
      core
        .deleteNamespacedPod({ namespace, name: options.name, gracePeriodSeconds: 0 })
        .catch(() => undefined),
    );
  return pod;
}

/**
 * A projected-style service-account token from TokenRequest: bound to `pod` unless it is undefined.
 *
 * @example
 * await podToken(ns, "search", pod); // audience latticeguard.dev/identity, 10 minutes
 */
export function podToken(
  namespace: string,
  serviceAccount: string,
  pod: V1Pod | undefined,
  audience: string = DEFAULT_AUDIENCE,
): Promise<string> {
  return kubeletToken(core, { namespace, serviceAccount, pod, audience });
}

/**
 * Creates an MCPServer and waits until the issuer's cache has it.
 *
 * @example
 * await createMcpServer(issuer, ns, "search", { app: "search" }, { serviceName: "search-svc" });
 */
export async function createMcpServer(
  issuer: TestIssuer,
  namespace: string,
  name: string,
  labels: Record<string, string>,
  spec: Record<string, unknown> = {},
): Promise<void> {
  await createMcpServerObject(custom, namespace, name, labels, spec);
  await vi.waitFor(() => expect(issuer.caches.servers.get(`${namespace}/${name}`)).toBeDefined(), {
    timeout: 10_000,
  });
}

/**
 * Creates a CryptoPolicy selecting namespaces labelled `selector`, deleted after the file; waits until
 * the issuer's cache has it and the namespace.
 *
 * @example
 * await createPolicy(issuer, `identity-${run}`, { run }, ["ML-DSA-87"], namespace);
 */
export async function createPolicy(
  issuer: TestIssuer,
  name: string,
  selector: Record<string, string>,
  identityAlgorithms: string[],
  namespace: string,
): Promise<void> {
  await createPolicyObject(custom, name, {
    namespaceSelector: { matchLabels: selector },
    identity: { algorithms: identityAlgorithms, ttl: "30m" },
  });
  afterAll(() =>
    custom
      .deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: "cryptopolicies", name })
      .catch(() => undefined),
  );
  await vi.waitFor(
    () => {
      expect(issuer.caches.policies.get(name)).toBeDefined();
      expect(issuer.caches.namespaces.get(namespace)).toBeDefined();
    },
    { timeout: 10_000 },
  );
}
