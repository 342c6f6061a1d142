/**
 * What queues a reconcile, beyond a watched object's own key: which changes of other kinds matter to a
 * controller, and how soon. The operator's wiring (operator.ts) combines these with the runtime's
 * `whenChanged` and `delayMs`:
 *
 * - A fingerprint names what a controller reads from an object; a change that leaves it alone (a status
 *   write, a resourceVersion, a label nobody selects on) queues nothing. At 5,000 MCPServers this is what
 *   keeps one CryptoPolicy status write from reconciling every server, and one server's rotation from
 *   recomputing a policy's coverage.
 * - Coverage is recomputed at most once per {@link COVERAGE_DELAY_MS}; the echoes of an MCPServer's own
 *   Secret and ConfigMap writes wait {@link CHILD_DELAY_MS}.
 *
 * @example
 * controller.watch(pods, whenChanged(pods, podFingerprint, serversInNamespaceOf(servers, namespaceOfPod)));
 */
import type { KubernetesObject, V1Namespace, V1Pod } from "@kubernetes/client-node";
import { TRANSPORT_ANNOTATION } from "./api/annotations.ts";
import type { MCPServer } from "./api/types.generated.ts";
import type { NamespacedCache } from "./kube/cache.ts";
import { findCondition } from "./kube/conditions.ts";
import { proxyContainer } from "./policy/sidecar.ts";
import { specFingerprint, type KeyMapper } from "./runtime/controller.ts";

/**
 * How long changes to namespaces, MCPServers and pods gather before a policy's coverage is recomputed.
 *
 * @example
 * controller.watch(servers, mapper, { delayMs: COVERAGE_DELAY_MS });
 */
export const COVERAGE_DELAY_MS = 1000;

/**
 * How long a change to an MCPServer's Secret or ConfigMap waits before the server is reconciled. A
 * reconcile writes the Secret, the ConfigMap and then status; reconciled at once on the Secret's watch
 * event, the server would still show its old status in the cache, and the same status would be written
 * again. Hand edits are repaired this much later.
 *
 * @example
 * controller.watch(secrets, ownerKeysOf("MCPServer"), { delayMs: CHILD_DELAY_MS });
 */
export const CHILD_DELAY_MS = 1000;

const deletion = (obj: KubernetesObject) => {
  const at = obj.metadata?.deletionTimestamp;
  return at ? String(at) : "";
};

/**
 * What the controllers read from a namespace: its labels (which policies select it).
 *
 * @example
 * namespaceFingerprint({ metadata: { name: "mcp", labels: { tier: "x" } } }); // '[{"tier":"x"},""]'
 */
export function namespaceFingerprint(ns: V1Namespace): string {
  return JSON.stringify([ns.metadata?.labels ?? {}, deletion(ns)]);
}

/**
 * What the controllers read from a pod: its labels (which servers select it), its declared transport and
 * its proxy sidecar (image, args), which together say whether it has post-quantum transport.
 *
 * @example
 * podFingerprint(pod); // '[{"app":"weather"},"X25519MLKEM768",""]'
 */
export function podFingerprint(pod: V1Pod): string {
  const proxy = proxyContainer(pod)?.container;
  return JSON.stringify([
    pod.metadata?.labels ?? {},
    pod.metadata?.annotations?.[TRANSPORT_ANNOTATION] ?? "",
    deletion(pod),
    ...(proxy ? [[proxy.image, proxy.restartPolicy, proxy.args]] : []),
  ]);
}

/**
 * What a CryptoPolicy's coverage reads from an MCPServer: its spec (the pod selector) and whether it
 * complies; not its keys, which change with every rotation.
 *
 * @example
 * coverageFingerprint(server); // "3||True"
 */
export function coverageFingerprint(server: MCPServer): string {
  const compliant = findCondition(server.status?.conditions, "PolicyCompliant")?.status ?? "";
  return `${specFingerprint(server)}|${compliant}`;
}

/**
 * Maps an object in some namespace (a pod, or the namespace itself) to the keys of every MCPServer in
 * that namespace, read from the cache's namespace index.
 *
 * @example
 * serversInNamespaceOf(servers, (pod) => pod.metadata?.namespace)("mcp/web-0", pod); // ["mcp/weather"]
 */
export function serversInNamespaceOf<T>(
  servers: Pick<NamespacedCache<MCPServer>, "inNamespace">,
  namespaceOf: (obj: T) => string | undefined,
): KeyMapper<T> {
  return (_key, obj) => {
    const namespace = namespaceOf(obj);
    if (!namespace) return [];
    return servers.inNamespace(namespace).map((s) => `${namespace}/${s.metadata.name}`);
  };
}
