/**
 * What reconcilers read: an informer cache, by key, in full, and one namespace at a time. The runtime's
 * Informer is one; unit tests pass {@link cacheOf}.
 *
 * Reading one namespace is an index, not a filter: the informer stores objects by namespace, so a
 * reconcile that needs the pods or MCPServers of its namespace costs what that namespace holds, not what
 * the cluster holds (at 5,000 MCPServers a filter over every object per reconcile is the difference
 * between linear and quadratic work).
 *
 * @example
 * const server = servers.get("mcp-demo/weather");
 * const neighbours = servers.inNamespace("mcp-demo");
 */

/**
 * Reads objects from an informer cache.
 *
 * @example
 * const cache: Cache<V1Secret> = secrets; // an Informer<V1Secret>
 */
export interface Cache<T> {
  /** The object with this key (`namespace/name`, or `name` for cluster-scoped objects). */
  get(key: string): T | undefined;
  /** Every cached object. */
  list(): T[];
}

/**
 * A cache that can also read one namespace without visiting the others.
 *
 * @example
 * const pods: NamespacedCache<V1Pod> = podInformer;
 * pods.inNamespace("mcp-demo").length;
 */
export interface NamespacedCache<T> extends Cache<T> {
  /** Every cached object in `namespace`; empty for an unknown namespace. */
  inNamespace(namespace: string): T[];
}

/**
 * A {@link NamespacedCache} over fixed objects, for tests and benchmarks.
 *
 * @example
 * const servers = cacheOf([weather, search]);
 * servers.get("mcp-demo/weather") === weather; // true
 */
export function cacheOf<T extends { metadata?: { name?: string; namespace?: string } }>(
  items: readonly T[],
): NamespacedCache<T> {
  const key = (o: T) =>
    o.metadata?.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : (o.metadata?.name ?? "");
  const byKey = new Map(items.map((o) => [key(o), o]));
  const byNamespace = new Map<string, T[]>();
  for (const o of byKey.values()) {
    const ns = o.metadata?.namespace ?? "";
    byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), o]);
  }
  return {
    get: (k) => byKey.get(k),
    list: () => [...byKey.values()],
    inNamespace: (ns) => [...(byNamespace.get(ns) ?? [])],
  };
}
