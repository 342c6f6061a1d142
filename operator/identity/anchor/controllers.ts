/**
 * The two leader-only controllers of the cluster trust anchor, on the operator's shared informers:
 *
 * - `trust-anchor`, one key (the anchor Secret): keeps the anchors and the source bundle ConfigMap. It is
 *   queued when the operator's namespace is listed (so it runs on a fresh cluster, where no Secret exists
 *   to trigger it), when the Secret or the source bundle changes, and when its `requeueAfter` comes due.
 * - `trust-bundle`, keyed by namespace: keeps the copies. Every namespace is reconciled when listed (and
 *   on resync); an MCPServer or a copy queues its namespace; a change of the source queues every
 *   namespace that has an MCPServer or a copy.
 *
 * @example
 * const controllers = trustControllers({ identity, namespace, informers, writer, remove, … });
 * for (const c of controllers) c.start();
 */
import type { V1ConfigMap, V1Namespace, V1Pod, V1Secret } from "@kubernetes/client-node";
import { CONNECT_ANNOTATION } from "../../api/annotations.ts";
import type { MCPServer } from "../../api/types.generated.ts";
import type { IdentityConfig } from "../../cli/flags.ts";
import type { EventRecorder } from "../../events.ts";
import type { Writer } from "../../kube/apply.ts";
import type { Logger } from "../../log.ts";
import type { Metrics } from "../../metrics.ts";
import { Controller, whenChanged, type LeaderGate, type Source } from "../../runtime/controller.ts";
import type { NamespacedCache } from "../../kube/cache.ts";
import type { QueueHooks } from "../../runtime/queue.ts";
import { trustAnchorReconciler } from "./reconcile.ts";
import { bundleCopyReconciler, type ConfigMapRemover } from "./bundle-reconcile.ts";

type Informed<T> = Source<T> & NamespacedCache<T>;

/**
 * What the trust controllers are built from.
 *
 * @example
 * const options: TrustControllerOptions = { identity: config.identity, namespace: config.namespace, … };
 */
export interface TrustControllerOptions {
  identity: IdentityConfig;
  /** The operator's namespace. */
  namespace: string;
  informers: {
    namespaces: Informed<V1Namespace>;
    servers: Informed<MCPServer>;
    secrets: Informed<V1Secret>;
    configMaps: Informed<V1ConfigMap>;
    /** Client pods (`latticeguard.dev/connect`) need the bundle too; optional for tests of servers alone. */
    pods?: Informed<V1Pod>;
  };
  writer: Writer;
  remove: ConfigMapRemover;
  events: EventRecorder;
  metrics: Metrics;
  leader: LeaderGate | undefined;
  hooks: (controller: string) => QueueHooks;
  now: () => number;
  log: Logger;
}

/**
 * The `trust-anchor` and `trust-bundle` controllers (see the module notes), not yet started.
 *
 * @example
 * const [anchor, bundle] = trustControllers(options);
 */
export function trustControllers(options: TrustControllerOptions): Controller[] {
  const { identity, namespace, informers, leader } = options;
  const { namespaces, servers, secrets, configMaps, pods } = informers;
  const anchorKey = `${namespace}/${identity.anchorSecret}`;
  const sourceKey = `${namespace}/${identity.bundleConfigMap}`;
  const only = (wanted: string) => (key: string) => (key === wanted ? [anchorKey] : []);
  const anchor = new Controller({
    name: "trust-anchor",
    leader,
    queue: { minRequeueAfterMs: 50, hooks: options.hooks("trust-anchor") },
    reconcile: trustAnchorReconciler({
      namespace,
      secretName: identity.anchorSecret,
      bundleName: identity.bundleConfigMap,
      algorithm: identity.anchorAlgorithm,
      trustDomain: identity.trustDomain,
      lifetimeMs: identity.anchorLifetimeMs,
      secrets,
      configMaps,
      writer: options.writer,
      events: options.events,
      metrics: options.metrics,
      now: options.now,
      log: options.log,
    }),
  })
    .watch(namespaces, only(namespace))
    .watch(secrets, only(anchorKey))
    .watch(configMaps, only(sourceKey));

  const namespaceOf = (key: string) => key.slice(0, key.indexOf("/"));
  const bundle = new Controller({
    name: "trust-bundle",
    leader,
    queue: { hooks: options.hooks("trust-bundle") },
    reconcile: bundleCopyReconciler({
      namespace,
      bundleName: identity.bundleConfigMap,
      servers,
      pods,
      configMaps,
      writer: options.writer,
      remove: options.remove,
      log: options.log,
    }),
  })
    .watch(namespaces)
    .watch(servers, (key) => [namespaceOf(key)]);
  // A pod matters here only through its connect annotation (and its deletion): its many status changes
  // queue nothing.
  const connectPrint = (pod: V1Pod) =>
    `${pod.metadata?.annotations?.[CONNECT_ANNOTATION] ?? ""}|${pod.metadata?.deletionTimestamp ? "deleting" : ""}`;
  if (pods)
    bundle.watch(
      pods,
      whenChanged(pods, connectPrint, (key) => [namespaceOf(key)]),
    );
  bundle.watch(configMaps, (key) => {
    if (key === sourceKey) {
      const copies = configMaps.keys().filter((k) => k.endsWith(`/${identity.bundleConfigMap}`));
      return new Set([...servers.keys(), ...copies].map(namespaceOf));
    }
    return key.endsWith(`/${identity.bundleConfigMap}`) ? [namespaceOf(key)] : [];
  });
  return [anchor, bundle];
}
