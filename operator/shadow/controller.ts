/**
 * The leader-only `shadow` controller, keyed by CryptoPolicy name, on the operator's shared informers
 * (reconcile.ts says what it does). A policy is queued by its own changes, by any policy's spec (one
 * policy's `spec.discovery.probe` turns probing on for every policy that shares a namespace with it),
 * and, at most once per {@link COVERAGE_DELAY_MS}, by what classify.ts reads of namespaces, MCPServers,
 * pods and Services. Probes run in one {@link EndpointProber} shared by every policy.
 *
 * @example
 * const shadow = shadowController({ informers, writer, events, metrics, leader, hooks, now, log });
 * shadow.start();
 */
import type { V1Namespace, V1Pod, V1Service } from "@kubernetes/client-node";
import type { CryptoPolicy, MCPServer } from "../api/types.generated.ts";
import type { EventRecorder } from "../events.ts";
import type { Writer } from "../kube/apply.ts";
import type { NamespacedCache } from "../kube/cache.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import {
  Controller,
  allKeysOf,
  specFingerprint,
  whenChanged,
  type LeaderGate,
  type Source,
} from "../runtime/controller.ts";
import type { QueueHooks } from "../runtime/queue.ts";
import { COVERAGE_DELAY_MS, namespaceFingerprint } from "../watch-triggers.ts";
import { shadowPodFingerprint, shadowServiceFingerprint } from "./cached-fields.ts";
import { ShadowLedger } from "./gauge.ts";
import { probeMcp } from "./mcp-probe.ts";
import { EndpointProber, type ProberOptions } from "./prober.ts";
import { shadowReconciler } from "./reconcile.ts";

type Informed<T> = Source<T> & NamespacedCache<T>;

/**
 * What the shadow controller is built from.
 *
 * @example
 * const options: ShadowControllerOptions = { informers, writer, events, metrics, leader, hooks, now, log };
 */
export interface ShadowControllerOptions {
  informers: {
    policies: Informed<CryptoPolicy>;
    namespaces: Informed<V1Namespace>;
    servers: Informed<MCPServer>;
    pods: Informed<V1Pod>;
    services: Informed<V1Service>;
  };
  writer: Writer;
  events: EventRecorder;
  metrics: Metrics;
  leader: LeaderGate | undefined;
  hooks: QueueHooks;
  now: () => number;
  log: Logger;
  /** Overrides of the prober's bounds and probe (tests); defaults in prober.ts. */
  prober?: Partial<ProberOptions>;
}

/**
 * The shadow controller, not yet started.
 *
 * @example
 * controllers.push(shadowController(options));
 */
export function shadowController(options: ShadowControllerOptions): Controller {
  const { policies, namespaces, servers, pods, services } = options.informers;
  const log = options.log.child({ controller: "shadow" });
  const prober = new EndpointProber({ probe: probeMcp, log, ...options.prober });
  const toPolicies = allKeysOf(policies);
  const delayed = { delayMs: COVERAGE_DELAY_MS };
  return new Controller({
    name: "shadow",
    leader: options.leader,
    queue: { hooks: options.hooks },
    reconcile: shadowReconciler({
      ...options.informers,
      prober,
      ledger: new ShadowLedger(options.metrics.shadowServers),
      writer: options.writer,
      events: options.events,
      now: options.now,
      log,
    }),
  })
    .watch(policies)
    .watch(policies, whenChanged(policies, specFingerprint, toPolicies))
    .watch(namespaces, whenChanged(namespaces, namespaceFingerprint, toPolicies), delayed)
    .watch(servers, whenChanged(servers, specFingerprint, toPolicies), delayed)
    .watch(pods, whenChanged(pods, shadowPodFingerprint, toPolicies), delayed)
    .watch(services, whenChanged(services, shadowServiceFingerprint, toPolicies), delayed);
}
