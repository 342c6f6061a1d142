/**
 * The webhook's views of the cluster: the operator's informer caches (namespaces, CryptoPolicies,
 * MCPServers), which every replica keeps whether or not it leads, and, before a denial, the same read
 * afresh from the API server for one namespace (see admit.ts). Fresh reads are bounded by a timeout well
 * inside the webhook's own 5 s, and return plain JSON like the caches do.
 *
 * @example
 * const views = clusterViews({ namespaces, policies, servers }, kc);
 * const view = views.cached();
 */
import type { KubeConfig, V1Namespace } from "@kubernetes/client-node";
import { API_VERSION } from "../operator/api/crd.ts";
import type { CryptoPolicy, MCPServer } from "../operator/api/types.generated.ts";
import type { Cache, NamespacedCache } from "../operator/kube/cache.ts";
import { listJson, resourcePath } from "../operator/runtime/resource.ts";
import type { ClusterViews } from "./admit.ts";
import type { ClusterView } from "./types.ts";

/**
 * The caches a view reads.
 *
 * @example
 * const caches: ViewCaches = { namespaces, policies, servers }; // the operator's Informers
 */
export interface ViewCaches {
  namespaces: Cache<V1Namespace>;
  policies: Cache<CryptoPolicy>;
  servers: NamespacedCache<MCPServer>;
}

/**
 * A view over informer caches.
 *
 * @example
 * cacheView(caches).servers("shop");
 */
export function cacheView(caches: ViewCaches): ClusterView {
  return {
    namespace: (name) => caches.namespaces.get(name),
    namespaces: () => caches.namespaces.list(),
    policies: () => caches.policies.list(),
    servers: (namespace) => caches.servers.inNamespace(namespace),
  };
}

/**
 * A view built from plain lists, for tests, benchmarks and fresh reads.
 *
 * @example
 * staticView({ namespaces: [ns], policies: [baseline], servers: [weather] });
 */
export function staticView(content: {
  namespaces: readonly V1Namespace[];
  policies: readonly CryptoPolicy[];
  servers: readonly MCPServer[];
}): ClusterView {
  return {
    namespace: (name) => content.namespaces.find((n) => n.metadata?.name === name),
    namespaces: () => content.namespaces,
    policies: () => content.policies,
    servers: (namespace) => content.servers.filter((s) => s.metadata?.namespace === namespace),
  };
}

/**
 * `base` with one namespace, its MCPServers and the CryptoPolicies replaced by fresher ones. Pure.
 *
 * @example
 * overlayView(cached, "shop", { namespace, servers, policies });
 */
export function overlayView(
  base: ClusterView,
  name: string,
  fresh: { namespace: V1Namespace | undefined; servers: MCPServer[]; policies: CryptoPolicy[] },
): ClusterView {
  return {
    namespace: (n) => (n === name ? fresh.namespace : base.namespace(n)),
    namespaces: () => base.namespaces(),
    policies: () => fresh.policies,
    servers: (n) => (n === name ? fresh.servers : base.servers(n)),
  };
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Cached views, and fresh ones read through `kc` within `timeoutMs` (default 2 s). A fresh read that
 * gives up, because it timed out or one of its three lists failed, aborts the lists still running, so
 * the bound on reads in flight (fresh-reads.ts) is a bound on requests to the API server too.
 *
 * @example
 * const views = clusterViews(caches, kc, 2000);
 * const view = await views.fresh("shop");
 */
export function clusterViews(caches: ViewCaches, kc: KubeConfig, timeoutMs = 2000): ClusterViews {
  const cached = () => cacheView(caches);
  return {
    cached,
    async fresh(name) {
      if (!DNS_LABEL.test(name)) throw new TypeError(`"${name}" is not a namespace name`);
      // By name: RBAC grants a namespace-scoped install its namespaces by `resourceNames`, which
      // authorizes a list by `metadata.name` and no other.
      const selector = `metadata.name=${name}`;
      const reading = new AbortController();
      const { signal } = reading;
      try {
        const [namespaces, servers, policies] = await withTimeout(
          Promise.all([
            listJson<V1Namespace>(kc, "/api/v1/namespaces", { fieldSelector: selector, signal }),
            listJson<MCPServer>(
              kc,
              resourcePath({ apiVersion: API_VERSION, plural: "mcpservers" }, name),
              { signal },
            ),
            listJson<CryptoPolicy>(
              kc,
              resourcePath({ apiVersion: API_VERSION, plural: "cryptopolicies" }),
              { signal },
            ),
          ]),
          timeoutMs,
          `reading namespace "${name}"`,
        );
        return overlayView(cached(), name, {
          namespace: namespaces.items.find((n) => n.metadata?.name === name),
          servers: servers.items,
          policies: policies.items,
        });
      } finally {
        // Done, timed out, or one list failed: whatever is still running is no longer wanted.
        reading.abort(new Error(`gave up reading namespace "${name}"`));
      }
    },
  };
}
