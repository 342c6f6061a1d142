/**
 * Object keys: what the work queue holds and what reconcilers receive. A key is `namespace/name` for a
 * namespaced object and `name` for a cluster-scoped one, as in client-go, so it reads well in logs.
 *
 * @example
 * const { namespace, name } = parseKey("mcp/weather"); // { namespace: "mcp", name: "weather" }
 */
import type { KubernetesObject } from "@kubernetes/client-node";

/**
 * A parsed object key; `namespace` is undefined for cluster-scoped objects.
 *
 * @example
 * const ref: ObjectRef = { namespace: "mcp", name: "weather" };
 */
export interface ObjectRef {
  namespace?: string;
  name: string;
}

/**
 * The key of an object, from its metadata.
 *
 * @example
 * objectKey({ metadata: { namespace: "mcp", name: "weather" } }); // "mcp/weather"
 */
export function objectKey(obj: KubernetesObject): string {
  const name = obj.metadata?.name;
  if (!name) throw new TypeError("`obj.metadata.name` must be set to make an object key");
  const namespace = obj.metadata?.namespace;
  return namespace ? `${namespace}/${name}` : name;
}

/**
 * The key of a namespace and name, the inverse of {@link parseKey}.
 *
 * @example
 * refKey({ namespace: "mcp", name: "weather" }); // "mcp/weather"
 */
export function refKey(ref: ObjectRef): string {
  return ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
}

/**
 * Splits a key into namespace and name, for the reconciler that fetches the object.
 *
 * @example
 * parseKey("strict"); // { name: "strict" } (a cluster-scoped CryptoPolicy)
 */
export function parseKey(key: string): ObjectRef {
  const parts = key.split("/");
  const [first, second] = parts;
  if (parts.length > 2 || !first || (parts.length === 2 && !second)) {
    throw new TypeError(`\`key\` must be "name" or "namespace/name", got "${key}"`);
  }
  return second === undefined ? { name: first } : { namespace: first, name: second };
}
