/**
 * The trust bundle copier (leader only), keyed by namespace: copies the source bundle ConfigMap from the
 * operator's namespace into every namespace that has an MCPServer or a client pod (one whose
 * `latticeguard.dev/connect` names an MCPServer), where workload pods mount it, and removes the copy from
 * a namespace that no longer has either. gather reads the caches, `decideCopy` decides,
 * and act writes only when the copy's content differs (server-side apply) or deletes it, guarded by the
 * resourceVersion it was read at. A copy is recognised by its labels; nothing else is ever deleted.
 *
 * @example
 * const reconcile = bundleCopyReconciler(deps);
 * await reconcile("mcp-demo");
 */
import { CoreV1Api, type KubeConfig, type V1ConfigMap, type V1Pod } from "@kubernetes/client-node";
import { CONNECT_ANNOTATION } from "../../api/annotations.ts";
import type { MCPServer } from "../../api/types.generated.ts";
import { MANAGED_LABELS, isConflict, isNotFound, type Writer } from "../../kube/apply.ts";
import type { Cache, NamespacedCache } from "../../kube/cache.ts";
import type { Logger } from "../../log.ts";
import { BUNDLE_ENTRY, TRUST_BUNDLE_LABEL, bundleConfigMap, decideCopy } from "./bundle.ts";

/**
 * Deletes ConfigMap `namespace/name` if it still has `resourceVersion` (else the API server answers 409);
 * a missing one is no error.
 *
 * @example
 * await remove("mcp-demo", "latticeguard-trust-bundle", "4711");
 */
export type ConfigMapRemover = (
  namespace: string,
  name: string,
  resourceVersion: string,
) => Promise<void>;

/**
 * A {@link ConfigMapRemover} that talks to the API server of `kc`.
 *
 * @example
 * const remove = apiConfigMapRemover(kc);
 */
export function apiConfigMapRemover(kc: KubeConfig): ConfigMapRemover {
  const core = kc.makeApiClient(CoreV1Api);
  return async (namespace, name, resourceVersion) => {
    try {
      await core.deleteNamespacedConfigMap({
        namespace,
        name,
        body: { preconditions: { resourceVersion } },
      });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  };
}

/**
 * What the copier reads and writes through.
 *
 * @example
 * const deps: BundleCopyDeps = { namespace: "latticeguard-system", bundleName, servers, configMaps, … };
 */
export interface BundleCopyDeps {
  /** The operator's namespace, which holds the source (never touched here). */
  namespace: string;
  bundleName: string;
  servers: NamespacedCache<MCPServer>;
  /** Pods whose `latticeguard.dev/connect` names an MCPServer are clients: they need the bundle too. */
  pods?: NamespacedCache<V1Pod>;
  configMaps: Cache<V1ConfigMap>;
  writer: Writer;
  remove: ConfigMapRemover;
  log: Logger;
}

/** Whether `cm` is a trust bundle LatticeGuard wrote. */
const isBundle = (cm: V1ConfigMap) =>
  cm.metadata?.labels?.[TRUST_BUNDLE_LABEL] === "true" &&
  Object.entries(MANAGED_LABELS).every(([k, v]) => cm.metadata?.labels?.[k] === v);

const live = (o: { metadata?: { deletionTimestamp?: unknown } }) => !o.metadata?.deletionTimestamp;

/** Whether `namespace` needs the bundle: it has an MCPServer, or a pod that connects to one. */
const needsBundle = (deps: BundleCopyDeps, namespace: string) =>
  deps.servers.inNamespace(namespace).some(live) ||
  (deps.pods?.inNamespace(namespace) ?? []).some(
    (p) => live(p) && p.metadata?.annotations?.[CONNECT_ANNOTATION] !== undefined,
  );

/**
 * The reconcile function of the trust bundle copier; the key is a namespace name.
 *
 * @example
 * new Controller({ name: "trust-bundle", leader, reconcile: bundleCopyReconciler(deps) });
 */
export function bundleCopyReconciler(deps: BundleCopyDeps): (namespace: string) => Promise<void> {
  return async (namespace) => {
    if (namespace === deps.namespace) return;
    const hasServers = needsBundle(deps, namespace);
    const source = deps.configMaps.get(`${deps.namespace}/${deps.bundleName}`);
    const found = deps.configMaps.get(`${namespace}/${deps.bundleName}`);
    const copy = found && isBundle(found) ? found : undefined;
    const action = decideCopy({
      hasServers,
      source: source?.data?.[BUNDLE_ENTRY],
      copy: copy && (copy.data?.[BUNDLE_ENTRY] ?? ""),
    });
    const log = deps.log.child({ kind: "ConfigMap", namespace, name: deps.bundleName });
    if (action === "apply") {
      const pem = source!.data![BUNDLE_ENTRY]!;
      await deps.writer.apply(bundleConfigMap(deps.bundleName, namespace, pem));
      log.info("Copied trust bundle");
    } else if (action === "delete") {
      try {
        await deps.remove(namespace, deps.bundleName, copy!.metadata!.resourceVersion!);
        log.info("Removed trust bundle copy");
      } catch (error) {
        // The copy changed since it was read: that change queues this namespace again.
        if (!isConflict(error)) throw error;
      }
    }
  };
}
