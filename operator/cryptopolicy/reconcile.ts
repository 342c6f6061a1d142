/**
 * The CryptoPolicy reconciler: reports what a policy covers and whether it conflicts. A policy's own
 * content is validated by the CRD schema; what only the cluster can tell is here:
 *
 * - `Conflicting`: in some namespace this policy and others together allow nothing for a list (their
 *   intersection is empty). The condition names the namespaces, the other policies and the fields.
 * - `status.coverage`: namespaces selected, MCPServers in them and how many comply (their
 *   `PolicyCompliant` condition), pods those servers select and how many have post-quantum transport
 *   (LatticeGuard's proxy sidecar, or a claim of an allowed group): the impact preview before switching
 *   to `Enforce`.
 * - `Ready`: the policy governs some namespace it selects without conflict; a conflict elsewhere shows
 *   in `Conflicting`, not here (report.ts says why).
 * - `status.kem`: the KEMs the policy allows on its own, for `kubectl get`.
 * - `status.enforcement`: the step of `spec.enforcementSchedule` in force and the next one, with their
 *   Events (step.ts), and the deny preview: pods of the namespaces it selects that the webhook's own pod
 *   rule would deny under `Enforce` (deny-preview.ts). The reconcile is requeued at the next notice or step.
 *
 * Status is written only when it changed, and contains no timestamps but the conditions' transitions, so
 * a reconcile that finds nothing new writes nothing.
 *
 * Cost: one reconcile visits each namespace once, and in each only its own MCPServers and pods (read
 * from the caches' per-namespace index), so it is linear in what the cluster holds. The controller
 * queues it at most once a second for changes to namespaces, MCPServers and pods (see operator.ts), so
 * a rollout of 5,000 MCPServers costs a few hundred evaluations, not 5,000 evaluations of 5,000 servers.
 *
 * @example
 * const reconcile = cryptoPolicyReconciler(deps);
 * await reconcile("baseline");
 */
import type { V1Namespace, V1Pod } from "@kubernetes/client-node";
import { isDeepStrictEqual } from "node:util";
import type { CryptoPolicy, CryptoPolicyStatus, MCPServer } from "../api/types.generated.ts";
import type { EventRecorder } from "../events.ts";
import type { Writer } from "../kube/apply.ts";
import type { Cache, NamespacedCache } from "../kube/cache.ts";
import { findCondition } from "../kube/conditions.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import { ENFORCEMENT_MODES } from "../api/cryptopolicy.schema.ts";
import { resolvePolicy } from "../policy/merge.ts";
import { selects } from "../policy/selector.ts";
import { podTransport } from "../policy/transport.ts";
import type { ReconcileResult } from "../runtime/queue.ts";
import { deniedUnderEnforce } from "./deny-preview.ts";
import { kemStatus, policyConditions, type NamespaceConflict } from "./report.ts";
import { planStep } from "./step.ts";

/** Everything the reconciler reads and writes through. */
export interface CryptoPolicyDeps {
  policies: Cache<CryptoPolicy>;
  namespaces: Cache<V1Namespace>;
  servers: NamespacedCache<MCPServer>;
  pods: NamespacedCache<V1Pod>;
  /** The configured proxy image (`--proxy-image`): a sidecar of another image does not count. */
  proxyImage?: string;
  writer: Writer;
  events: EventRecorder;
  metrics: Metrics;
  now: () => number;
  log: Logger;
}

/**
 * The cluster as one policy evaluation reads it: every namespace, and the MCPServers and pods of one
 * namespace at a time.
 *
 * @example
 * const cluster: ClusterIndex = { namespaces: [ns], serversIn: (n) => servers.inNamespace(n), podsIn: (n) => pods.inNamespace(n) };
 */
export interface ClusterIndex {
  namespaces: readonly V1Namespace[];
  serversIn(namespace: string): readonly MCPServer[];
  podsIn(namespace: string): readonly V1Pod[];
  /** The configured proxy image; undefined: no sidecar counts. */
  proxyImage?: string;
}

/**
 * What one policy covers across the cluster. Pure.
 *
 * @example
 * const { coverage, conflicts, denied } = evaluatePolicy(policy, allPolicies, cluster);
 */
export function evaluatePolicy(
  policy: CryptoPolicy,
  all: readonly CryptoPolicy[],
  cluster: ClusterIndex,
): {
  coverage: Required<NonNullable<CryptoPolicyStatus["coverage"]>>;
  conflicts: NamespaceConflict[];
  /** The deny preview: pods of those namespaces that `Enforce` would deny. */
  denied: number;
} {
  const coverage = {
    namespaces: 0,
    mcpServers: 0,
    compliantMCPServers: 0,
    pods: 0,
    compliantPods: 0,
  };
  const conflicts: NamespaceConflict[] = [];
  let denied = 0;
  for (const ns of cluster.namespaces) {
    const name = ns.metadata?.name ?? "";
    if (!selects(policy.spec.namespaceSelector, ns.metadata?.labels)) continue;
    coverage.namespaces++;
    const resolution = resolvePolicy(all, ns.metadata?.labels);
    if (resolution.kind === "Conflict") {
      conflicts.push({ namespace: name, policies: resolution.policies, fields: resolution.fields });
    }
    const nsPods = cluster.podsIn(name);
    const nsServers = cluster.serversIn(name);
    denied += deniedUnderEnforce(nsPods, name, nsServers, resolution, cluster.proxyImage);
    for (const server of nsServers) {
      coverage.mcpServers++;
      if (findCondition(server.status?.conditions, "PolicyCompliant")?.status === "True") {
        coverage.compliantMCPServers++;
      }
      const selected = nsPods.filter((p) => selects(server.spec.selector, p.metadata?.labels));
      coverage.pods += selected.length;
      coverage.compliantPods += selected.filter(
        (p) => podTransport(p, resolution.policy, cluster.proxyImage) !== undefined,
      ).length;
    }
  }
  return { coverage, conflicts, denied };
}

/** Sets the policy's gauges; `undefined` removes them (the policy is gone). */
function report(
  metrics: Metrics,
  policy: string,
  values?: { conflicts: number; denied: number; mode: string | undefined },
): void {
  if (!values) {
    metrics.policyConflicts.remove({ policy });
    metrics.policyDenyPreview.remove({ policy });
    for (const mode of ENFORCEMENT_MODES) metrics.policyEnforcementMode.remove({ policy, mode });
    return;
  }
  metrics.policyConflicts.set({ policy }, values.conflicts);
  metrics.policyDenyPreview.set({ policy }, values.denied);
  for (const mode of ENFORCEMENT_MODES)
    metrics.policyEnforcementMode.set({ policy, mode }, values.mode === mode ? 1 : 0);
}

/**
 * Whether `status` is what the policy shows, leaving out `status.shadowServers`: that belongs to the
 * shadow controller's field manager (operator/shadow/).
 */
function unchanged(status: CryptoPolicyStatus, shown: CryptoPolicyStatus | undefined): boolean {
  if (!shown) return false;
  const { shadowServers: _shadow, ...own } = shown;
  return isDeepStrictEqual(status, own);
}

/** The reconcile function of the CryptoPolicy controller. */
export function cryptoPolicyReconciler(
  deps: CryptoPolicyDeps,
): (key: string) => Promise<ReconcileResult> {
  return async (key) => {
    const policy = deps.policies.get(key);
    if (!policy || policy.metadata.deletionTimestamp) {
      report(deps.metrics, key);
      return;
    }
    const { coverage, conflicts, denied } = evaluatePolicy(policy, deps.policies.list(), {
      namespaces: deps.namespaces.list(),
      serversIn: (ns) => deps.servers.inNamespace(ns),
      podsIn: (ns) => deps.pods.inNamespace(ns),
      proxyImage: deps.proxyImage,
    });
    const now = deps.now();
    const step = planStep(policy.spec, policy.status?.enforcement, now, denied);
    const requeue =
      step.requeueAfterMs === undefined ? undefined : { requeueAfter: step.requeueAfterMs };
    const generation = policy.metadata.generation ?? 0;
    const conditions = policyConditions(
      policy.status?.conditions,
      generation,
      { selected: coverage.namespaces, conflicts },
      new Date(now),
    );
    const status: CryptoPolicyStatus = {
      observedGeneration: generation,
      conditions,
      kem: kemStatus(policy.spec),
      coverage,
      enforcement: { ...step.status, denyPreview: { pods: denied } },
    };
    const mode = step.status.current?.mode;
    report(deps.metrics, key, { conflicts: conflicts.length, denied, mode });
    if (unchanged(status, policy.status)) return requeue;
    await deps.writer.applyStatus(
      { kind: "CryptoPolicy", metadata: { name: key } },
      "cryptopolicies",
      status,
    );
    const wasConflicting =
      findCondition(policy.status?.conditions, "Conflicting")?.status === "True";
    if (conflicts.length && !wasConflicting) {
      const message = findCondition(conditions, "Conflicting")!.message;
      deps.log.warn(
        { policy: key, namespaces: conflicts.length },
        "Found conflicting CryptoPolicies",
      );
      void deps.events.record(policy, "Warning", "PolicyConflict", message);
    }
    for (const event of step.events) {
      deps.log.info({ policy: key, reason: event.reason }, "Announced enforcement step");
      void deps.events.record(policy, event.type, event.reason, event.message);
    }
    return requeue;
  };
}
