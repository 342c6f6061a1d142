/**
 * Objects for the webhook's unit tests and benchmark: namespaces, CryptoPolicies with the CRD's defaults,
 * MCPServers, pods, workloads and AdmissionReviews, each overridable where a test needs it.
 *
 * @example
 * const view = staticView({ namespaces: [namespace("shop")], policies: [policy("baseline")], servers: [] });
 */
import type { V1Container, V1Namespace, V1Volume } from "@kubernetes/client-node";
import type { MCPServer } from "../../operator/api/types.generated.ts";
import type { AdmissionRequest, Operation } from "../types.ts";

/**
 * A namespace with labels.
 *
 * @example
 * namespace("shop", { tier: "restricted" });
 */
export function namespace(name: string, labels: Record<string, string> = {}): V1Namespace {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name,
      uid: `uid-${name}`,
      labels: { "kubernetes.io/metadata.name": name, ...labels },
    },
  };
}

/** A CryptoPolicy with the CRD's defaults, overridden by `spec` (shared with the operator's tests). */
export { cryptoPolicy as policy } from "../../operator/policy/testing.ts";

/**
 * An MCPServer selecting `matchLabels`.
 *
 * @example
 * mcpServer("shop", "weather", { app: "weather" });
 */
export function mcpServer(
  ns: string,
  name: string,
  matchLabels: Record<string, string>,
  extra: Partial<MCPServer["spec"]> = {},
): MCPServer {
  return {
    apiVersion: "latticeguard.dev/v1alpha1",
    kind: "MCPServer",
    metadata: { name, namespace: ns, uid: `uid-${ns}-${name}` },
    spec: { selector: { matchLabels }, port: "mcp", transport: "streamable-http", ...extra },
  };
}

/**
 * A container, with named ports.
 *
 * @example
 * container("server", ["mcp", "metrics"]);
 */
export function container(
  name: string,
  ports: string[] = [],
  extra: Partial<V1Container> = {},
): V1Container {
  return {
    name,
    image: "example.com/mcp:1",
    ports: ports.map((p, i) => ({ name: p, containerPort: 8080 + i })),
    ...extra,
  };
}

/**
 * A pod's (or template's) metadata and spec.
 *
 * @example
 * podBody({ labels: { app: "web" }, annotations: { "latticeguard.dev/transport": "X25519MLKEM768" } });
 */
export function podBody(
  options: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    containers?: V1Container[];
    initContainers?: V1Container[];
    volumes?: V1Volume[];
  } = {},
) {
  return {
    metadata: { labels: options.labels ?? {}, annotations: options.annotations ?? {} },
    spec: {
      containers: options.containers ?? [container("server", ["mcp"])],
      ...(options.initContainers && { initContainers: options.initContainers }),
      ...(options.volumes && { volumes: options.volumes }),
    },
  };
}

/**
 * The object of `kind` (`Pod`, `Deployment`, …, `CronJob`) with `body` as its pod (template).
 *
 * @example
 * workload("Deployment", "web", "shop", podBody());
 */
export function workload(kind: string, name: string, ns: string, body: ReturnType<typeof podBody>) {
  const apiVersion =
    kind === "Pod" ? "v1" : kind === "Job" || kind === "CronJob" ? "batch/v1" : "apps/v1";
  const metadata = { name, namespace: ns };
  if (kind === "Pod")
    return { apiVersion, kind, metadata: { ...metadata, ...body.metadata }, spec: body.spec };
  const template = { metadata: body.metadata, spec: body.spec };
  const spec =
    kind === "CronJob"
      ? { schedule: "@hourly", jobTemplate: { spec: { template } } }
      : { selector: { matchLabels: body.metadata.labels }, template };
  return { apiVersion, kind, metadata, spec };
}

/**
 * An AdmissionRequest for `object`.
 *
 * @example
 * admissionRequest(workload("Pod", "web", "shop", podBody()), "CREATE");
 */
export function admissionRequest(
  object: { apiVersion: string; kind: string; metadata: { name?: string; namespace?: string } },
  operation: Operation = "CREATE",
  oldObject?: unknown,
): AdmissionRequest {
  const [group, version] = object.apiVersion.includes("/")
    ? object.apiVersion.split("/")
    : ["", object.apiVersion];
  const plural =
    object.kind === "CryptoPolicy" ? "cryptopolicies" : `${object.kind.toLowerCase()}s`;
  return {
    uid: `uid-${Math.random().toString(36).slice(2)}`,
    kind: { group: group!, version: version!, kind: object.kind },
    resource: { group: group!, version: version!, resource: plural },
    name: object.metadata.name,
    namespace: object.metadata.namespace,
    operation,
    object,
    ...(oldObject !== undefined && { oldObject }),
  };
}
