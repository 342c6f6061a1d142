/**
 * The operator's seven informers, over the whole cluster or, in a namespace-scoped install
 * (`--watch-namespaces`), over the watched namespaces only:
 *
 * - MCPServers, pods and Services: every namespace, or each watched namespace (Services only for
 *   shadow MCP server discovery, operator/shadow/);
 * - Secrets and ConfigMaps (those labelled managed-by LatticeGuard): every namespace, or each watched
 *   namespace and the operator's own, which holds the trust anchor, the source trust bundle and the
 *   webhook Secret;
 * - namespaces: every one, or each watched namespace and the operator's own, one by one by name
 *   (`metadata.name=<ns>`), which RBAC can grant by `resourceNames`; the operator's own is there because
 *   its listing queues the trust-anchor controller on a fresh cluster;
 * - CryptoPolicies: every one in either mode (they are cluster-scoped: a policy selects namespaces, it
 *   lives in none).
 *
 * The operator's MCPServers and pods in its own namespace are watched only when that namespace is one of
 * the watched ones.
 *
 * @example
 * const informers = operatorInformers(kc, { namespace: "latticeguard-system", watchNamespaces: ["mcp-a"] });
 * for (const i of informers.all) i.start();
 */
import type {
  KubeConfig,
  KubernetesObject,
  V1ConfigMap,
  V1Namespace,
  V1Pod,
  V1Secret,
  V1Service,
} from "@kubernetes/client-node";
import { API_VERSION } from "./api/crd.ts";
import type { CryptoPolicy, MCPServer } from "./api/types.generated.ts";
import { MANAGED_LABELS } from "./kube/apply.ts";
import { issuerPodFields } from "./identity/issuer/pod-read.ts";
import { digestPublishedKeys } from "./mcpserver/published-digest.ts";
import { ruleSpec } from "./policy/sidecar.ts";
import { shadowServiceFields } from "./shadow/cached-fields.ts";
import { Informer, stripManagedFields, type InformerOptions } from "./runtime/informer.ts";
import { InformerSet, type WatchedCache } from "./runtime/informer-set.ts";

/**
 * The operator's informers, not yet started.
 *
 * @example
 * const { servers, policies, namespaces, pods, secrets, configMaps } = operatorInformers(kc, scope);
 */
export interface OperatorInformers {
  servers: WatchedCache<MCPServer>;
  policies: WatchedCache<CryptoPolicy>;
  namespaces: WatchedCache<V1Namespace>;
  pods: WatchedCache<V1Pod>;
  services: WatchedCache<V1Service>;
  secrets: WatchedCache<V1Secret>;
  configMaps: WatchedCache<V1ConfigMap>;
  /** All seven, to start, await and stop together. */
  all: readonly WatchedCache<KubernetesObject>[];
}

/**
 * What the informers cover: the operator's namespace, and the watched namespaces (undefined: all).
 *
 * @example
 * const scope: InformerScope = { namespace: "latticeguard-system", watchNamespaces: undefined };
 */
export interface InformerScope {
  namespace: string;
  watchNamespaces: readonly string[] | undefined;
}

/**
 * What the pod informer keeps of a pod: only what is read of it. The metadata and service account (the
 * issuer checks a token's pod against them); each container's name, restart policy and port names and
 * numbers (whether the pod exposes an MCP endpoint: the deny preview, shadow discovery, where the probe
 * connects), and of the injected proxy also its image and args (whether it counts as the pod's
 * transport); the pod IP (the probe's and shadow discovery's address) and phase (whether it runs).
 *
 * @example
 * new Informer<V1Pod>(kc, { resource: { apiVersion: "v1", plural: "pods" }, transform: cachedPodFields });
 */
export function cachedPodFields(pod: V1Pod): V1Pod {
  const lean = issuerPodFields(pod);
  const { podIP, phase } = pod.status ?? {};
  return {
    ...lean,
    spec: { ...lean.spec!, ...ruleSpec(pod) },
    ...((podIP || phase) && { status: { ...(podIP && { podIP }), ...(phase && { phase }) } }),
  };
}

/**
 * The seven informers for `scope` (see the module notes).
 *
 * @example
 * const informers = operatorInformers(kc, { namespace: config.namespace, watchNamespaces: config.watchNamespaces });
 */
export function operatorInformers(kc: KubeConfig, scope: InformerScope): OperatorInformers {
  const watched = scope.watchNamespaces;
  const withOwn = watched && [...new Set([...watched, scope.namespace])];
  const perNamespace = <T extends KubernetesObject>(
    names: readonly string[],
    make: (name: string) => Informer<T>,
  ) => new InformerSet(new Map(names.map((name) => [name, make(name)])));
  /** One informer, or one per namespace of `names`. */
  const over = <T extends KubernetesObject>(
    names: readonly string[] | undefined,
    options: InformerOptions<T>,
  ): WatchedCache<T> =>
    names
      ? perNamespace(names, (namespace) => new Informer<T>(kc, { ...options, namespace }))
      : new Informer<T>(kc, options);
  const managed = Object.entries(MANAGED_LABELS)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
  const servers = over<MCPServer>(watched, {
    resource: { apiVersion: API_VERSION, plural: "mcpservers" },
  });
  const policies = new Informer<CryptoPolicy>(kc, {
    resource: { apiVersion: API_VERSION, plural: "cryptopolicies" },
  });
  const namespaceResource = { apiVersion: "v1", plural: "namespaces" };
  const namespaces: WatchedCache<V1Namespace> = withOwn
    ? perNamespace(
        withOwn,
        (name) =>
          new Informer<V1Namespace>(kc, {
            resource: namespaceResource,
            fieldSelector: `metadata.name=${name}`,
          }),
      )
    : new Informer<V1Namespace>(kc, { resource: namespaceResource });
  const pods = over<V1Pod>(watched, {
    resource: { apiVersion: "v1", plural: "pods" },
    transform: cachedPodFields,
  });
  const services = over<V1Service>(watched, {
    resource: { apiVersion: "v1", plural: "services" },
    transform: shadowServiceFields,
  });
  const secrets = over<V1Secret>(withOwn, {
    resource: { apiVersion: "v1", plural: "secrets" },
    labelSelector: managed,
  });
  const configMaps = over<V1ConfigMap>(withOwn, {
    resource: { apiVersion: "v1", plural: "configmaps" },
    labelSelector: managed,
    // Public keys are only ever compared with what would be published: cache their digest.
    transform: (cm) => digestPublishedKeys(stripManagedFields(cm)),
  });
  return {
    servers,
    policies,
    namespaces,
    pods,
    services,
    secrets,
    configMaps,
    all: [servers, policies, namespaces, pods, services, secrets, configMaps],
  };
}
