/**
 * One admission request, start to finish: choose the validator by kind, give it a view of the cluster,
 * run it, and answer. Every request gets an answer: a validator (or view) that throws denies it with a
 * 500-coded status saying so (fail closed), never a dropped request.
 *
 * Views come from the informer caches, which may lag the API server by a moment. A `kubectl apply -f`
 * of a directory creates a namespace, an MCPServer and a Deployment within milliseconds, and a cache that
 * has not seen the first two would refuse the third. So before it denies, the webhook decides once more
 * against a fresh view of that namespace (its labels, its MCPServers and the CryptoPolicies, read from the
 * API server); and a namespace missing from the cache is read fresh at once. Admissions stay cache-only.
 *
 * Admitted violations become Events (not on dry runs). Every review is counted in
 * `latticeguard_admission_reviews_total{webhook="validate",resource,decision,mode,transport}` (`transport`:
 * `sidecar` or `claim` for an admitted pod or template with post-quantum transport, else `none`) and
 * timed in `latticeguard_admission_duration_seconds{webhook="validate",resource}`. Logs name the object,
 * never its content.
 *
 * @example
 * const handle = admission({ validators: VALIDATORS, views, events, metrics, log });
 * const response = await handle(request);
 */
import type { Logger } from "../operator/log.ts";
import type { Metrics } from "../operator/metrics.ts";
import { internalErrorResponse, responseFor } from "./codec.ts";
import { realClock, type Clock } from "../operator/runtime/clock.ts";
import type { InjectionSettings } from "./injection.ts";
import { gvkKey } from "./pod-templates.ts";
import type {
  AdmissionRequest,
  AdmissionResponse,
  ClusterView,
  Validation,
  Validator,
  ViolationEvent,
} from "./types.ts";

/**
 * Where validators' views of the cluster come from.
 *
 * @example
 * const views: ClusterViews = { cached: () => view, fresh: async () => view };
 */
export interface ClusterViews {
  /** The informer caches, as they are. */
  cached(): ClusterView;
  /** The cached view, with this namespace, its MCPServers and the CryptoPolicies read afresh. */
  fresh(namespace: string): Promise<ClusterView>;
}

/**
 * Records the Events validations ask for; must not throw or block.
 *
 * @example
 * const sink: EventSink = { record: (e) => void recorder.record(e.target, "Warning", "PolicyViolation", e.message) };
 */
export interface EventSink {
  record(event: ViolationEvent): void;
}

/**
 * What {@link admission} needs.
 *
 * @example
 * const deps: AdmitDeps = { validators: VALIDATORS, views, log };
 */
export interface AdmitDeps {
  validators: Readonly<Record<string, Validator>>;
  views: ClusterViews;
  /** How the proxy is injected, for validators that accept it as transport; absent: it is not. */
  injection?: InjectionSettings;
  events?: EventSink;
  metrics?: Pick<Metrics, "admissionReviews" | "admissionDuration">;
  log: Logger;
  /** The time validators decide at (the step of an enforcement schedule in force); the real one if absent. */
  clock?: Clock;
}

/** How a review ended, for metrics and logs. */
type Decision = "allowed" | "denied" | "admitted_violation" | "error";

function subjectOf(request: AdmissionRequest) {
  const metadata = (request.object as { metadata?: { name?: string; generateName?: string } })
    ?.metadata;
  const name = request.name || metadata?.name || `${metadata?.generateName ?? ""}<generated>`;
  return { group: request.kind.group, kind: request.kind.kind, name };
}

function validate(
  validator: Validator,
  request: AdmissionRequest,
  view: ClusterView,
  injection: InjectionSettings | undefined,
  clock: Clock,
): Validation {
  return validator(request.object, request.oldObject, request.operation, {
    namespace: request.namespace || undefined,
    name: request.name || undefined,
    kind: request.kind.kind,
    cluster: view,
    now: clock.now().getTime(),
    ...(injection && { injection }),
  });
}

async function decide(
  validator: Validator,
  request: AdmissionRequest,
  deps: AdmitDeps,
): Promise<Validation> {
  const namespace = request.namespace || undefined;
  let view = deps.views.cached();
  const missing = namespace !== undefined && !view.namespace(namespace);
  if (missing) view = await deps.views.fresh(namespace);
  const clock = deps.clock ?? realClock;
  const validation = validate(validator, request, view, deps.injection, clock);
  if (validation.errors.length === 0 || namespace === undefined || missing) return validation;
  try {
    const fresh = await deps.views.fresh(namespace);
    return validate(validator, request, fresh, deps.injection, clock);
  } catch (error) {
    deps.log.warn({ err: error, namespace }, "Failed to re-read the cluster before denying");
    return validation;
  }
}

/** How one review ended, for metrics and logs. */
interface Outcome {
  response: AdmissionResponse;
  decision: Decision;
  mode: string;
  transport: string;
}

/** The response to one request, how it ended, under which mode, and with what transport. */
async function review(request: AdmissionRequest, deps: AdmitDeps): Promise<Outcome> {
  const { uid } = request;
  const validator = request.subResource ? undefined : deps.validators[gvkKey(request.kind)];
  if (!validator)
    return {
      response: { uid, allowed: true },
      decision: "allowed",
      mode: "none",
      transport: "none",
    };
  const validation = await decide(validator, request, deps);
  const response = responseFor(uid, validation, subjectOf(request));
  if (!request.dryRun) for (const event of validation.events ?? []) deps.events?.record(event);
  const decision = !response.allowed
    ? "denied"
    : validation.violation
      ? "admitted_violation"
      : "allowed";
  const transport = response.allowed ? (validation.transport ?? "none") : "none";
  return { response, decision, mode: validation.mode ?? "none", transport };
}

/**
 * The admission handler: AdmissionRequest in, AdmissionResponse out; never rejects.
 *
 * @example
 * res.json(encodeReview(await admission(deps)(request)));
 */
export function admission(
  deps: AdmitDeps,
): (request: AdmissionRequest) => Promise<AdmissionResponse> {
  return async (request) => {
    const started = performance.now();
    const { uid, kind, namespace, name, operation } = request;
    const fields = { uid, kind: kind.kind, namespace, name, operation };
    const outcome = await review(request, deps).catch((error: unknown): Outcome => {
      deps.log.error({ ...fields, err: error }, "Denied a request the webhook could not validate");
      const reason = error instanceof Error ? error.message : String(error);
      const response = internalErrorResponse(uid, reason);
      return { response, decision: "error", mode: "none", transport: "none" };
    });
    const { decision, mode, transport } = outcome;
    const resource = request.resource.resource;
    const seconds = (performance.now() - started) / 1000;
    const webhook = "validate";
    deps.metrics?.admissionReviews.inc({ webhook, resource, decision, mode, transport });
    deps.metrics?.admissionDuration.observe({ webhook, resource }, seconds);
    const level = decision === "allowed" ? "debug" : "info";
    deps.log[level](
      { ...fields, decision, mode, transport, durationMs: seconds * 1000 },
      "Reviewed admission request",
    );
    return outcome.response;
  };
}
