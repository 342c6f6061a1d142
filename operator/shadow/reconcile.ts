/**
 * The shadow controller: for one CryptoPolicy, the shadow MCP servers of the namespaces it selects
 * (classify.ts says which), in `status.shadowServers`, the `latticeguard_shadow_mcp_servers` gauge and
 * one `ShadowMCPServer` Event per discovery. A controller of its own on the CryptoPolicy kind, as
 * cert-manager splits concerns of one kind: it writes only `status.shadowServers`, under the field
 * manager {@link SHADOW_FIELD_MANAGER}, so the CryptoPolicy reconciler's status and this never
 * overwrite each other, and probing never delays a coverage reconcile.
 *
 * gather (caches, and what the prober knows) → decide ({@link decideShadows}, pure) → act (status when
 * changed, Events for discoveries not yet recorded, the gauge) → report (`requeueAfter` while probes
 * are pending, or when a result goes stale). A reconcile never waits for a probe (prober.ts).
 *
 * Events are recorded once per discovery in this process (and not for what the status already lists,
 * so a restart does not repeat those): a confirmation is a discovery of its own, and a shadow server
 * that was cleared and comes back is found again.
 *
 * @example
 * const reconcile = shadowReconciler(deps);
 * await reconcile("baseline"); // { requeueAfter: 1000 } while probes run
 */
import type { V1Namespace, V1Pod, V1Service } from "@kubernetes/client-node";
import { isDeepStrictEqual } from "node:util";
import type { CryptoPolicy, MCPServer } from "../api/types.generated.ts";
import type { EventRecorder } from "../events.ts";
import type { Writer } from "../kube/apply.ts";
import type { Cache, NamespacedCache } from "../kube/cache.ts";
import type { Logger } from "../log.ts";
import { selects } from "../policy/selector.ts";
import type { ReconcileResult } from "../runtime/queue.ts";
import { shadowCandidates, type ShadowCandidate } from "./classify.ts";
import type { ShadowLedger } from "./gauge.ts";
import type { EndpointProber, ProbeLookup } from "./prober.ts";
import * as report from "./report.ts";

/** The field manager of `status.shadowServers`. */
export const SHADOW_FIELD_MANAGER = "latticeguard-shadow";

/** How soon to look again while probes are pending. */
export const PENDING_RECHECK_MS = 1000;

/** Discoveries remembered for their Events, at most. */
const MAX_REPORTED = 10_000;

/**
 * Everything the reconciler reads and writes through.
 *
 * @example
 * shadowReconciler({ policies, namespaces, servers, pods, services, prober, ledger, writer, events, now, log });
 */
export interface ShadowDeps {
  policies: Cache<CryptoPolicy>;
  namespaces: Cache<V1Namespace>;
  servers: NamespacedCache<MCPServer>;
  pods: NamespacedCache<V1Pod>;
  services: NamespacedCache<V1Service>;
  prober: Pick<EndpointProber, "lookup">;
  ledger: ShadowLedger;
  writer: Writer;
  events: EventRecorder;
  now: () => number;
  log: Logger;
}

/**
 * A candidate as gathered: whether its namespace probes, and what the prober knows of it.
 *
 * @example
 * const g: GatheredShadow = { candidate, probing: true, probe: { answered: true, pending: false } };
 */
export interface GatheredShadow {
  candidate: ShadowCandidate;
  probing: boolean;
  probe?: ProbeLookup;
}

/** Confirmed when probing is on and it answered, with how it answered; suspected otherwise. */
function judge({ candidate, probing, probe }: GatheredShadow): report.JudgedShadow {
  if (!probing || !probe?.answered) return { candidate, state: "suspected" };
  return { candidate, state: "confirmed", ...(probe.answer && { answer: probe.answer }) };
}

/**
 * Each candidate's state, and when to look again. Pure.
 *
 * @example
 * decideShadows([{ candidate, probing: true, probe: { pending: true } }], now).requeueAfter; // 1000
 */
export function decideShadows(
  gathered: readonly GatheredShadow[],
  now: number,
): { judged: report.JudgedShadow[]; requeueAfter?: number } {
  let next: number | undefined;
  const judged = gathered.map((g) => {
    const { probing, probe } = g;
    if (probing && probe?.pending) next = Math.min(next ?? Infinity, now + PENDING_RECHECK_MS);
    else if (probing && probe?.staleAt !== undefined)
      next = Math.min(next ?? Infinity, Math.max(probe.staleAt, now + PENDING_RECHECK_MS));
    return judge(g);
  });
  return { judged, ...(next !== undefined && { requeueAfter: next - now }) };
}

function gather(deps: ShadowDeps, policy: CryptoPolicy) {
  const all = deps.policies.list();
  const namespaces: string[] = [];
  const gathered: GatheredShadow[] = [];
  for (const ns of deps.namespaces.list()) {
    const labels = ns.metadata?.labels;
    const name = ns.metadata?.name ?? "";
    if (!selects(policy.spec.namespaceSelector, labels)) continue;
    namespaces.push(name);
    const probing = all.some(
      (p) => p.spec.discovery?.probe === true && selects(p.spec.namespaceSelector, labels),
    );
    const objects = {
      pods: deps.pods.inNamespace(name),
      services: deps.services.inNamespace(name),
      servers: deps.servers.inNamespace(name),
    };
    for (const candidate of shadowCandidates(name, objects)) {
      const t = candidate.target;
      const probe =
        probing && t ? deps.prober.lookup(`${t.uid}|${t.host}:${t.port}`, t) : undefined;
      gathered.push({ candidate, probing, ...(probe && { probe }) });
    }
  }
  return { namespaces, gathered };
}

/** Forgets discoveries in `namespaces` that are gone, and bounds what is remembered. */
function prune(reported: Set<string>, namespaces: readonly string[], current: Set<string>) {
  const looked = new Set(namespaces);
  for (const key of reported)
    if (looked.has(key.split("/")[1] ?? "") && !current.has(key)) reported.delete(key);
  for (const key of reported) {
    if (reported.size <= MAX_REPORTED) break;
    reported.delete(key);
  }
}

/** The reconcile function of the shadow controller. */
export function shadowReconciler(deps: ShadowDeps): (key: string) => Promise<ReconcileResult> {
  const reported = new Set<string>();
  return async (key) => {
    const policy = deps.policies.get(key);
    if (!policy || policy.metadata.deletionTimestamp) {
      deps.ledger.forget(key);
      return;
    }
    const now = deps.now();
    const { namespaces, gathered } = gather(deps, policy);
    const { judged, requeueAfter } = decideShadows(gathered, now);
    const status = report.shadowStatus(judged);
    const before = policy.status?.shadowServers;
    if (!isDeepStrictEqual(status, before)) {
      await deps.writer.applyStatus(
        { kind: "CryptoPolicy", metadata: { name: key } },
        "cryptopolicies",
        { shadowServers: status },
        SHADOW_FIELD_MANAGER,
      );
      deps.log.info(
        { policy: key, suspected: status.suspected, confirmed: status.confirmed },
        "Updated shadow MCP servers",
      );
    }
    const counts = report.countsByNamespace(judged);
    for (const ns of namespaces)
      if (!counts.has(ns)) counts.set(ns, { suspected: 0, confirmed: 0 });
    deps.ledger.report(key, counts);
    const listed = new Set(
      (before?.servers ?? []).map((e) => `${e.kind}/${e.namespace}/${e.name}/${e.state}`),
    );
    const current = new Set(judged.map(report.discoveryKey));
    for (const shadow of judged) {
      const id = report.discoveryKey(shadow);
      if (reported.has(id)) continue;
      reported.add(id);
      const { kind, namespace, name, uid } = shadow.candidate;
      if (listed.has(`${kind}/${namespace}/${name}/${shadow.state}`)) continue;
      const object = { apiVersion: "v1", kind, metadata: { name, namespace, uid } };
      void deps.events.record(
        object,
        "Warning",
        "ShadowMCPServer",
        report.discoveryMessage(shadow),
      );
    }
    prune(reported, namespaces, current);
    return requeueAfter === undefined ? undefined : { requeueAfter };
  };
}
