/**
 * The vocabulary of the admission webhook: AdmissionReview v1 as the API server sends and expects it, the
 * result a validator returns, and the read-only view of the cluster a validator decides from. Types only.
 *
 * A validator is pure: `(object, oldObject, operation, context) => Validation`. It never reads a cache or
 * the API server itself; everything it may know about the cluster comes through `context.cluster`, a
 * {@link ClusterView} that production fills from the informer caches and unit tests fill from arrays.
 *
 * @example
 * const validate: Validator = (obj, _old, _op, ctx) => ({ errors: [], warnings: [] });
 */
import type { KubernetesObject, V1Namespace } from "@kubernetes/client-node";
import type { EnforcementMode } from "../operator/api/cryptopolicy.schema.ts";
import type { CryptoPolicy, MCPServer } from "../operator/api/types.generated.ts";
import type { PodTransport } from "../operator/policy/transport.ts";
import type { InjectionSettings } from "./injection.ts";

/**
 * What the API server is about to do. The webhook registers CREATE and UPDATE only.
 *
 * @example
 * const op: Operation = "CREATE";
 */
export type Operation = "CREATE" | "UPDATE" | "DELETE" | "CONNECT";

/**
 * The fields of an AdmissionReview v1 `request` the webhook reads.
 *
 * @example
 * const request: AdmissionRequest = { uid, kind: { group: "", version: "v1", kind: "Pod" }, resource, operation: "CREATE" };
 */
export interface AdmissionRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  resource: { group: string; version: string; resource: string };
  subResource?: string;
  name?: string;
  namespace?: string;
  operation: Operation;
  object?: unknown;
  oldObject?: unknown;
  dryRun?: boolean;
}

/**
 * A metav1.Status cause: one per invalid field, as the API server reports its own validation errors.
 *
 * @example
 * const cause: StatusCause = { reason: "FieldValueInvalid", field: "metadata.labels", message: "…" };
 */
export interface StatusCause {
  reason: "FieldValueInvalid";
  field: string;
  message: string;
}

/**
 * The `response` of an AdmissionReview v1.
 *
 * @example
 * const allow: AdmissionResponse = { uid, allowed: true };
 */
export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: {
    status: "Failure";
    code: number;
    reason: "Invalid" | "InternalError";
    message: string;
    details?: { name?: string; group?: string; kind?: string; causes: StatusCause[] };
  };
  warnings?: string[];
  auditAnnotations?: Record<string, string>;
  /** A mutation: always `JSONPatch`, with `patch`. */
  patchType?: "JSONPatch";
  /** The JSON Patch (RFC 6902) operations, as JSON, base64-encoded. */
  patch?: string;
}

/**
 * One invalid field: `field` is a path in the object as the API server writes them
 * (`spec.template.metadata.annotations[latticeguard.dev/transport]`), `message` says what must change.
 *
 * @example
 * const error: FieldError = { field: "spec.kem.algorithm", message: "must be one of ML-KEM-1024" };
 */
export interface FieldError {
  field: string;
  message: string;
}

/**
 * An Event a validation asks to be recorded (under `Warn` and `Audit`), so a violation that was admitted
 * is visible in `kubectl describe` / `kubectl get events` without log access.
 *
 * @example
 * const event: ViolationEvent = { target: server, message: 'Pod "web" admitted in Audit mode…', key: "Pod/web-" };
 */
export interface ViolationEvent {
  /** The MCPServer that covers the object, or the object's Namespace. */
  target: KubernetesObject;
  message: string;
  /** Events with the same key are recorded once per throttling window (pods of one ReplicaSet share one). */
  key: string;
}

/**
 * What a validator decided. Non-empty `errors` deny the request with 422 and one cause per field;
 * otherwise it is admitted with `warnings` (shown by kubectl) and `auditAnnotations` (in the audit log).
 *
 * @example
 * const ok: Validation = { errors: [], warnings: [] };
 */
export interface Validation {
  errors: FieldError[];
  warnings: string[];
  auditAnnotations?: Record<string, string>;
  events?: ViolationEvent[];
  /** The enforcement mode the decision was made under, for metrics; absent where none applies. */
  mode?: EnforcementMode;
  /** True when the object breaks a rule but was admitted (`Warn`, `Audit`, or an unchanged update). */
  violation?: boolean;
  /** How the object (a pod, or the pods of a template) has post-quantum transport, for metrics. */
  transport?: PodTransport;
}

/**
 * What a validator may know about the cluster: snapshots, read synchronously.
 *
 * @example
 * const labels = view.namespace("shop")?.metadata?.labels;
 */
export interface ClusterView {
  /** The namespace with this name, if known. */
  namespace(name: string): V1Namespace | undefined;
  /** Every namespace. */
  namespaces(): readonly V1Namespace[];
  /** Every CryptoPolicy. */
  policies(): readonly CryptoPolicy[];
  /** The MCPServers in one namespace. */
  servers(namespace: string): readonly MCPServer[];
}

/**
 * The request a validator is deciding on, and the cluster it decides against.
 *
 * @example
 * const context: ValidationContext = { namespace: "shop", name: "web", kind: "Pod", cluster: view, now: Date.now(), injection };
 */
export interface ValidationContext {
  namespace: string | undefined;
  name: string | undefined;
  kind: string;
  cluster: ClusterView;
  /**
   * The time of the review (epoch milliseconds), from the webhook's own clock: the step of an
   * enforcement schedule in force, and the time a new step must be later than.
   */
  now: number;
  /** How the proxy is injected (its image above all); absent: nothing is, and no sidecar counts. */
  injection?: InjectionSettings;
}

/**
 * A per-kind validator. `object` and `oldObject` are untrusted JSON (only the API server should send
 * them, but anything may reach the port); a validator that throws denies the request (fail closed).
 *
 * @example
 * const table: Record<string, Validator> = { "v1/Pod": validatePod };
 */
export type Validator = (
  object: unknown,
  oldObject: unknown,
  operation: Operation,
  context: ValidationContext,
) => Validation;
