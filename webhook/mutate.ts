/**
 * One mutating admission request, start to finish: a Pod CREATE gets LatticeGuard's proxy when
 * {@link mutatePod} says so, answered as a JSON Patch; anything else is admitted unchanged (the
 * MutatingWebhookConfiguration sends Pod CREATE only). The webhook fails closed here too
 * (`failurePolicy: Fail`): a decision that throws, or a namespace that cannot be read, denies the pod with
 * a 500-coded status saying why, so a pod that should carry the proxy is never created without it.
 *
 * Decisions come from the informer caches, as the validator's do. A pod created together with the
 * MCPServer that selects it (`kubectl apply -f dir/`) may meet a cache that has not seen the MCPServer yet;
 * so when a pod declares an MCP endpoint (a port named `mcp`/`mcp-*`, `latticeguard.dev/mcp-port`) and the
 * cache shows no MCPServer asking for its proxy, the namespace is read afresh once before deciding (if that
 * read fails, the cache's answer stands and validation judges the pod, denying it under `Enforce`). Pods
 * that declare nothing never cost a read.
 *
 * Counted in `latticeguard_admission_reviews_total{webhook="mutate",…}` (transport `sidecar` when the
 * proxy was injected), `latticeguard_sidecar_injections_total{outcome}`, and timed in
 * `latticeguard_admission_duration_seconds{webhook="mutate",resource}`.
 *
 * @example
 * const mutate = mutation({ views, settings, metrics, log });
 * const response = await mutate(request); // patchType JSONPatch when injected
 */
import type { Logger } from "../operator/log.ts";
import type { Metrics } from "../operator/metrics.ts";
import { mcpExposure } from "../operator/policy/exposure.ts";
import { realClock, type Clock } from "../operator/runtime/clock.ts";
import type { ClusterViews } from "./admit.ts";
import { internalErrorResponse, mutationResponse } from "./codec.ts";
import { metadataOf, namespaceOf } from "./context.ts";
import { mutatePod, type InjectablePod, type InjectionSettings } from "./injection.ts";
import { resolutionFor } from "./pod-resolution.ts";
import type { AdmissionRequest, AdmissionResponse, ClusterView } from "./types.ts";

/**
 * What {@link mutation} needs.
 *
 * @example
 * const deps: MutateDeps = { views, settings, log };
 */
export interface MutateDeps {
  views: ClusterViews;
  settings: InjectionSettings;
  metrics?: Pick<Metrics, "admissionReviews" | "admissionDuration" | "sidecarInjections">;
  log: Logger;
  /** The time the enforcement mode is read at (proxy mode `Auto`); the real one if absent. */
  clock?: Clock;
}

const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" && x !== null && !Array.isArray(x);

/** The outcome label: `Injected` → `injected`, `PortNotFound` → `port_not_found`. */
const snake = (outcome: string) => outcome.replace(/(?<!^)([A-Z])/g, "_$1").toLowerCase();

function decide(
  request: AdmissionRequest,
  view: ClusterView,
  settings: InjectionSettings,
  now: number,
) {
  const pod = request.object as InjectablePod;
  const context = { namespace: request.namespace || undefined, name: undefined, kind: "Pod" };
  const { namespace, labels } = namespaceOf({ ...context, cluster: view, now }, pod);
  const resolution = resolutionFor(view.policies(), labels, now);
  const servers = view.servers(namespace);
  const decision = mutatePod({ pod, namespace, servers, policy: resolution.policy, settings });
  return { ...decision, mode: resolution.policy.enforcement, exposed: mcpExposure(pod, servers) };
}

/** How a request that is not a Pod CREATE ends. */
const IGNORED = { outcome: "Ignored", mode: "none", server: undefined as string | undefined };

async function review(request: AdmissionRequest, deps: MutateDeps) {
  const isPodCreate =
    request.kind.group === "" &&
    request.kind.kind === "Pod" &&
    request.operation === "CREATE" &&
    !request.subResource;
  if (!isPodCreate || !isObject(request.object))
    return { ...IGNORED, response: { uid: request.uid, allowed: true } };
  const namespace = request.namespace || metadataOf(request.object).namespace;
  let view = deps.views.cached();
  const missing = namespace !== undefined && !view.namespace(namespace);
  if (missing) view = await deps.views.fresh(namespace);
  const now = (deps.clock ?? realClock).now().getTime();
  let decision = decide(request, view, deps.settings, now);
  if (!missing && decision.outcome === "NotSelected" && decision.exposed.length > 0) {
    // Only a second look: if it fails, the cache's answer stands, and validation judges the pod.
    const fresh = await deps.views.fresh(namespace!).catch((error: unknown) => {
      deps.log.warn({ err: error, namespace }, "Failed to re-read the cluster before injecting");
      return undefined;
    });
    if (fresh) decision = decide(request, fresh, deps.settings, now);
  }
  const response = mutationResponse(request.uid, decision.patch, decision.warnings);
  return { outcome: decision.outcome, mode: decision.mode, server: decision.server, response };
}

/**
 * The mutating admission handler: AdmissionRequest in, AdmissionResponse out; never rejects.
 *
 * @example
 * serveWebhook({ ...options, mutate: mutation(deps) });
 */
export function mutation(
  deps: MutateDeps,
): (request: AdmissionRequest) => Promise<AdmissionResponse> {
  return async (request) => {
    const started = performance.now();
    const { uid, namespace, operation } = request;
    const name = request.name || metadataOf(request.object).generateName || "";
    const fields = { uid, kind: request.kind.kind, namespace, name, operation };
    const outcome = await review(request, deps).catch((error: unknown) => {
      deps.log.error({ ...fields, err: error }, "Denied a pod the webhook could not mutate");
      const reason = error instanceof Error ? error.message : String(error);
      const what = "decide whether to inject its proxy into the pod";
      const response = internalErrorResponse(uid, reason, what);
      return { outcome: "Error", mode: "none", server: undefined, response };
    });
    const injected = outcome.outcome === "Injected";
    const seconds = (performance.now() - started) / 1000;
    const resource = request.resource.resource;
    const labels = {
      webhook: "mutate",
      resource,
      decision: outcome.response.allowed ? "allowed" : "error",
      mode: outcome.mode,
      transport: injected ? "sidecar" : "none",
    };
    deps.metrics?.admissionReviews.inc(labels);
    deps.metrics?.admissionDuration.observe({ webhook: "mutate", resource }, seconds);
    if (outcome.outcome !== "Ignored")
      deps.metrics?.sidecarInjections.inc({ outcome: snake(outcome.outcome) });
    const level = injected ? "info" : "debug";
    deps.log[level](
      {
        ...fields,
        outcome: outcome.outcome,
        mcpserver: outcome.server,
        durationMs: seconds * 1000,
      },
      injected ? "Injected LatticeGuard proxy" : "Reviewed pod for proxy injection",
    );
    return outcome.response;
  };
}
