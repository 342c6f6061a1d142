/**
 * The pod a token is bound to, read the way kube-apiserver reads it when it validates a bound token (its
 * service-account token getter asks its pod informer and falls back to a GET on a miss): from the
 * operator's pods informer when it holds a pod of that name with the token's UID, otherwise from the API
 * server. A miss (a pod created a moment ago, or a cache that has not synced) and a UID mismatch (the
 * cache may still hold the pod this one replaced, or already hold the one that replaced the token's)
 * both ask the API server, so the answer about a pod that is not in the cache as the token names it is
 * always the API server's.
 *
 * What the cache can hold a moment too long is a pod deleted less than one watch event ago; every token
 * is also reviewed again at least every few seconds (review-cache.ts), and kube-apiserver refuses a token
 * whose pod is gone.
 *
 * The pods informer keeps only metadata (the controllers read labels and annotations); the issuer also
 * needs the pod's service account, so the operator caches that one field too ({@link issuerPodFields}).
 * A cached pod without it is never used.
 *
 * @example
 * const readPod = cachedPodReader(pods, (namespace, name) => core.readNamespacedPod({ namespace, name }));
 * await readPod("mcp", "search-0", "6a1c…"); // from the cache when it holds that pod
 */
import type { V1Pod, V1PodSpec } from "@kubernetes/client-node";
import type { Cache } from "../../kube/cache.ts";
import { metadataOnly } from "../../runtime/informer.ts";

/**
 * What the operator's pods informer keeps of a pod: its metadata (labels, annotations, UID, deletion)
 * and, for the issuer, `spec.serviceAccountName` ("" when unset, which means `default`).
 *
 * @example
 * new Informer<V1Pod>(kc, { resource: { apiVersion: "v1", plural: "pods" }, transform: issuerPodFields });
 */
export function issuerPodFields(pod: V1Pod): V1Pod {
  // Not a whole spec: the cache holds what it holds, as metadataOnly's objects do.
  const spec = { serviceAccountName: pod.spec?.serviceAccountName ?? "" } as V1PodSpec;
  return { ...metadataOnly(pod), spec };
}

/**
 * `get` with the informer cache in front of it (see the module notes). `pods` may be undefined: then
 * every read is a GET. `onLookup` is told whether each read was answered from the cache; it must not
 * throw.
 *
 * @example
 * const readPod = cachedPodReader(caches.pods, getPod);
 */
export function cachedPodReader(
  pods: Cache<V1Pod> | undefined,
  get: (namespace: string, name: string) => Promise<V1Pod | undefined>,
  onLookup?: (hit: boolean) => void,
): (namespace: string, name: string, uid?: string) => Promise<V1Pod | undefined> {
  return (namespace, name, uid) => {
    const cached = uid === undefined ? undefined : pods?.get(`${namespace}/${name}`);
    const usable =
      cached !== undefined &&
      cached.metadata?.uid === uid &&
      typeof cached.spec?.serviceAccountName === "string";
    onLookup?.(usable);
    return usable ? Promise.resolve(cached) : get(namespace, name);
  };
}
