/**
 * Reads what the CBOM reports from the API server, for `latticeguard cbom` and the operator's
 * `/v1/cbom` alike: MCPServers, CryptoPolicies, namespaces (for their labels), pods, the published
 * `<name>-kem-public` ConfigMaps, the source trust bundle and the webhook's certificates. Lists are read
 * in pages of 500 and pods are cut to their labels, the annotations LatticeGuard reads, container ports
 * and phase as each page arrives, so a large cluster costs one page of whole pods at a time.
 *
 * Never reads a keyring Secret or the trust anchor Secret: public keys come from the ConfigMaps, anchors
 * from the bundle. The webhook Secret (`kubernetes.io/tls`) is read for its certificates alone
 * (`tls.crt`, `ca.crt`, `ca-bundle.crt`); its keys are dropped unread, and an operator replica passes the
 * certificate it serves instead of reading the Secret at all.
 *
 * MCPServers, CryptoPolicies and namespaces must be readable (without them nothing can be said); the
 * rest, when forbidden or missing, is left out and named in the snapshot's `gaps`.
 *
 * RBAC for the reader: `list` on mcpservers and cryptopolicies (latticeguard.dev), namespaces, pods and
 * configmaps; `get` on the webhook Secret for its certificates.
 *
 * @example
 * const snapshot = await readCluster(kc, { source: "latticeguard cbom", namespace: "latticeguard-system",
 *   bundleConfigMap: "latticeguard-trust-bundle", webhookSecret: "latticeguard-webhook-tls" });
 */
import { PROXY_CONTAINER } from "../api/annotations.ts";
import {
  CoreV1Api,
  type KubeConfig,
  type KubernetesObject,
  type V1ConfigMap,
  type V1Container,
  type V1Namespace,
  type V1Pod,
} from "@kubernetes/client-node";
import { API_VERSION } from "../api/crd.ts";
import {
  INJECTED_ANNOTATION,
  MCP_PORT_ANNOTATION,
  TRANSPORT_ANNOTATION,
} from "../api/annotations.ts";
import type { CryptoPolicy, MCPServer } from "../api/types.generated.ts";
import { BUNDLE_ENTRY } from "../identity/anchor/bundle.ts";
import { MCPSERVER_LABEL } from "../mcpserver/published-digest.ts";
import { PUBLIC_KEYS_ENTRY } from "../mcpserver/keyring.ts";
import { listJson, resourcePath, type ResourceType } from "../runtime/resource.ts";
import { observedFromStatus } from "../probe/observed.ts";
import type { PodRecord } from "./findings.ts";
import type { ObservedTransport, ServedTransport } from "./inventory.ts";
import type { ClusterSnapshot, WebhookPems } from "./inventory-of.ts";

/**
 * What to read, and where.
 *
 * @example
 * const scope: ReadScope = { source: "latticeguard cbom", namespace: "latticeguard-system",
 *   bundleConfigMap: "latticeguard-trust-bundle", webhookSecret: "latticeguard-webhook-tls", served };
 */
export interface ReadScope {
  /** Who reads: recorded in the CBOM. */
  source: string;
  /** The operator's namespace: the source trust bundle and the webhook Secret. */
  namespace: string;
  /** Only these namespaces' MCPServers, pods and ConfigMaps; undefined: every namespace. */
  watchNamespaces?: readonly string[];
  bundleConfigMap: string;
  /** The webhook Secret to read certificates from; undefined: `webhook` is given, or there is none. */
  webhookSecret?: string;
  /** The webhook's certificates as an operator replica serves them. */
  webhook?: () => WebhookPems | undefined;
  /** LatticeGuard's own TLS endpoints. */
  served: ServedTransport[];
  /**
   * What the handshake probe saw; undefined (or returning undefined): what MCPServers record in
   * `status.transport`.
   */
  observedTransport?: () => ObservedTransport[] | undefined;
}

const SERVERS: ResourceType = { apiVersion: API_VERSION, plural: "mcpservers" };
const POLICIES: ResourceType = { apiVersion: API_VERSION, plural: "cryptopolicies" };
const NAMESPACES: ResourceType = { apiVersion: "v1", plural: "namespaces" };
const PODS: ResourceType = { apiVersion: "v1", plural: "pods" };
const CONFIGMAPS: ResourceType = { apiVersion: "v1", plural: "configmaps" };

/** The annotations the findings read; every other annotation is dropped. */
const POD_ANNOTATIONS = [TRANSPORT_ANNOTATION, MCP_PORT_ANNOTATION, INJECTED_ANNOTATION];

/** The webhook Secret's certificate entries, the current CA first; keys are never read. */
const WEBHOOK_CERTIFICATES = { serving: "tls.crt", cas: ["ca.crt", "ca-bundle.crt"] } as const;

function ports(containers: readonly V1Container[] | undefined): V1Container[] {
  return (containers ?? []).map((c) => ({
    name: c.name,
    ...(c.restartPolicy && { restartPolicy: c.restartPolicy }),
    // LatticeGuard's proxy: its image and args say whether it is the pod's post-quantum transport.
    ...(c.name === PROXY_CONTAINER && { image: c.image, args: c.args ?? [] }),
    ports: (c.ports ?? []).map((p) => ({
      containerPort: p.containerPort,
      ...(p.name && { name: p.name }),
    })),
  }));
}

/**
 * A pod cut to what the findings read (see the module notes).
 *
 * @example
 * podRecord(pod).metadata?.annotations; // only latticeguard.dev/transport, mcp-port and injected
 */
export function podRecord(pod: V1Pod): V1Pod & PodRecord {
  const annotations = Object.fromEntries(
    POD_ANNOTATIONS.flatMap((a) => {
      const value = pod.metadata?.annotations?.[a];
      return value === undefined ? [] : [[a, value]];
    }),
  );
  const phase = pod.status?.phase;
  return {
    metadata: {
      namespace: pod.metadata?.namespace,
      name: pod.metadata?.name,
      labels: pod.metadata?.labels ?? {},
      annotations,
      ...(pod.metadata?.deletionTimestamp && {
        deletionTimestamp: pod.metadata.deletionTimestamp,
      }),
    },
    spec: {
      containers: ports(pod.spec?.containers),
      initContainers: ports(pod.spec?.initContainers),
    },
    ...(phase && { status: { phase } }),
  };
}

/** The status code and first line of an API error, for a gap. */
function describeError(error: unknown): string {
  const status =
    (error as { statusCode?: unknown; code?: unknown }).statusCode ??
    (error as { code?: unknown }).code;
  const line = (error instanceof Error ? error.message : String(error))
    .split("\n")[0]!
    .slice(0, 200);
  return typeof status === "number" ? `HTTP ${status}: ${line}` : line;
}

/** The objects of `resource` in every namespace of `namespaces` (undefined: cluster-wide). */
async function list<T extends KubernetesObject>(
  kc: KubeConfig,
  resource: ResourceType,
  namespaces: readonly (string | undefined)[],
  options: Parameters<typeof listJson<T>>[2] = {},
): Promise<T[]> {
  const lists = await Promise.all(
    namespaces.map((ns) => listJson<T>(kc, resourcePath(resource, ns), options)),
  );
  return lists.flatMap((l) => l.items);
}

/** `read()`, or undefined and a gap saying what could not be read. */
async function optional<T>(
  what: string,
  gaps: string[],
  read: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    gaps.push(`could not read ${what} (${describeError(error)}): left out`);
    return undefined;
  }
}

async function readNamespaces(kc: KubeConfig, scope: ReadScope): Promise<V1Namespace[]> {
  if (!scope.watchNamespaces) return list<V1Namespace>(kc, NAMESPACES, [undefined]);
  const named = await Promise.all(
    scope.watchNamespaces.map((name) =>
      list<V1Namespace>(kc, NAMESPACES, [undefined], { fieldSelector: `metadata.name=${name}` }),
    ),
  );
  return named.flat();
}

async function readWebhook(
  kc: KubeConfig,
  scope: ReadScope,
  gaps: string[],
): Promise<WebhookPems | undefined> {
  const served = scope.webhook?.();
  if (served || !scope.webhookSecret) return served;
  const where = `Secret ${scope.namespace}/${scope.webhookSecret}`;
  const secret = await optional(where, gaps, () =>
    kc
      .makeApiClient(CoreV1Api)
      .readNamespacedSecret({ namespace: scope.namespace, name: scope.webhookSecret! }),
  );
  if (!secret) return undefined;
  const text = (entry: string) => {
    const value = secret.data?.[entry];
    return value ? Buffer.from(value, "base64").toString("utf8") : undefined;
  };
  const serving = text(WEBHOOK_CERTIFICATES.serving);
  const cas = WEBHOOK_CERTIFICATES.cas.flatMap((entry) => text(entry) ?? []);
  return { source: where, ...(serving && { serving }), cas };
}

async function readBundle(
  kc: KubeConfig,
  scope: ReadScope,
  gaps: string[],
): Promise<ClusterSnapshot["trustBundle"]> {
  const where = `ConfigMap ${scope.namespace}/${scope.bundleConfigMap}`;
  const found = await optional(where, gaps, () =>
    list<V1ConfigMap>(kc, CONFIGMAPS, [scope.namespace], {
      fieldSelector: `metadata.name=${scope.bundleConfigMap}`,
    }),
  );
  const pem = found?.[0]?.data?.[BUNDLE_ENTRY];
  if (found && pem === undefined)
    gaps.push(`${where} has no ${BUNDLE_ENTRY}: no trust anchors reported`);
  return pem === undefined ? undefined : { source: where, pem };
}

/**
 * Reads the cluster (see the module notes); rejects when MCPServers, CryptoPolicies or namespaces cannot
 * be read.
 *
 * @example
 * const inventory = inventoryOf(await readCluster(kc, scope));
 */
export async function readCluster(kc: KubeConfig, scope: ReadScope): Promise<ClusterSnapshot> {
  const gaps: string[] = [];
  const where = scope.watchNamespaces ?? [undefined];
  const [servers, policies, namespaces, pods, configMaps, trustBundle, webhook] = await Promise.all(
    [
      list<MCPServer>(kc, SERVERS, where),
      list<CryptoPolicy>(kc, POLICIES, [undefined]),
      readNamespaces(kc, scope),
      optional("pods", gaps, () => list<V1Pod>(kc, PODS, where, { transform: podRecord })),
      optional("the public-key ConfigMaps", gaps, () =>
        list<V1ConfigMap>(kc, CONFIGMAPS, where, { labelSelector: MCPSERVER_LABEL }),
      ),
      readBundle(kc, scope, gaps),
      readWebhook(kc, scope, gaps),
    ],
  );
  const publicKeys = Object.fromEntries(
    (configMaps ?? []).map((cm) => [
      `${cm.metadata?.namespace}/${cm.metadata?.name}`,
      cm.data?.[PUBLIC_KEYS_ENTRY],
    ]),
  );
  return {
    source: scope.source,
    ...(scope.watchNamespaces && { namespaces: [...scope.watchNamespaces] }),
    servers,
    policies,
    namespaceLabels: Object.fromEntries(
      namespaces.map((ns) => [ns.metadata?.name ?? "", ns.metadata?.labels]),
    ),
    pods: pods ?? [],
    publicKeys,
    ...(trustBundle && { trustBundle }),
    ...(webhook && { webhook }),
    served: scope.served,
    observedTransport: scope.observedTransport?.() ?? observedFromStatus(servers),
    gaps,
  };
}
