/**
 * What reconcilers read: an informer cache, by key and in full. The runtime's Informer is one; unit tests
 * pass plain maps.
 *
 * @example
 * const server = servers.get("mcp-demo/weather");
 */

/** Reads objects from an informer cache. */
export interface Cache<T> {
  /** The object with this key (`namespace/name`, or `name` for cluster-scoped objects). */
  get(key: string): T | undefined;
  /** Every cached object. */
  list(): T[];
}
