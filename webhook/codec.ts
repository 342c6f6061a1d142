/**
 * The admission codec: AdmissionReview v1 in, AdmissionReview v1 out. Pure. Decoding checks the shape of
 * everything the webhook reads and keeps the request's `uid`, which the response must echo; anything else
 * (another version, another kind, a missing uid) is undecodable and the server answers 400. Encoding turns
 * a {@link Validation} into the response: a denial carries HTTP-style code 422 (`Invalid`) with one
 * `status.details.causes` entry per field, as the API server reports its own validation errors, so kubectl
 * prints one line per field.
 *
 * @example
 * const decoded = decodeReview(JSON.parse(body));
 * if (decoded.ok) res.json(encodeReview(responseFor(decoded.request.uid, validation, subject)));
 */
import type { AdmissionRequest, AdmissionResponse, Operation, Validation } from "./types.ts";

/**
 * The apiVersion of the only AdmissionReview the webhook speaks.
 *
 * @example
 * ({ apiVersion: REVIEW_API_VERSION, kind: "AdmissionReview", response });
 */
export const REVIEW_API_VERSION = "admission.k8s.io/v1";

/** Kubernetes truncates longer warnings; keep them readable instead. */
const MAX_WARNING_LENGTH = 256;
const MAX_WARNINGS = 16;
const OPERATIONS: readonly Operation[] = ["CREATE", "UPDATE", "DELETE", "CONNECT"];

/**
 * A decoded request, or why the body is not an AdmissionReview v1 request.
 *
 * @example
 * const d: Decoded = { ok: false, problem: "`request.uid` must be a non-empty string" };
 */
export type Decoded = { ok: true; request: AdmissionRequest } | { ok: false; problem: string };

const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" && x !== null && !Array.isArray(x);
const isString = (x: unknown): x is string => typeof x === "string";

function checkTriple(value: unknown, keys: readonly string[], field: string): string | undefined {
  if (!isObject(value)) return `\`${field}\` must be an object`;
  const bad = keys.find((k) => !isString(value[k]));
  return bad === undefined ? undefined : `\`${field}.${bad}\` must be a string`;
}

function problemOf(body: unknown): string | undefined {
  if (!isObject(body)) return "the body must be a JSON object";
  if (body.apiVersion !== REVIEW_API_VERSION || body.kind !== "AdmissionReview")
    return `the body must be an AdmissionReview of apiVersion ${REVIEW_API_VERSION}`;
  const r = body.request;
  if (!isObject(r)) return "`request` must be an object";
  if (!isString(r.uid) || r.uid.length === 0 || r.uid.length > 128)
    return "`request.uid` must be a non-empty string";
  const shape =
    checkTriple(r.kind, ["group", "version", "kind"], "request.kind") ??
    checkTriple(r.resource, ["group", "version", "resource"], "request.resource");
  if (shape) return shape;
  if (!OPERATIONS.includes(r.operation as Operation))
    return `\`request.operation\` must be one of ${OPERATIONS.join(", ")}`;
  return optionalProblem(r);
}

function optionalProblem(r: Record<string, unknown>): string | undefined {
  for (const key of ["name", "namespace", "subResource"] as const)
    if (r[key] !== undefined && !isString(r[key])) return `\`request.${key}\` must be a string`;
  if (r.dryRun !== undefined && typeof r.dryRun !== "boolean")
    return "`request.dryRun` must be a boolean";
  return undefined;
}

/**
 * Decodes a parsed JSON body; never throws.
 *
 * @example
 * decodeReview({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request }).ok; // true
 */
export function decodeReview(body: unknown): Decoded {
  const problem = problemOf(body);
  if (problem) return { ok: false, problem };
  const r = (body as { request: Record<string, unknown> }).request;
  return { ok: true, request: r as unknown as AdmissionRequest };
}

/**
 * The AdmissionReview v1 that carries `response`.
 *
 * @example
 * res.json(encodeReview({ uid, allowed: true }));
 */
export function encodeReview(response: AdmissionResponse): {
  apiVersion: typeof REVIEW_API_VERSION;
  kind: "AdmissionReview";
  response: AdmissionResponse;
} {
  return { apiVersion: REVIEW_API_VERSION, kind: "AdmissionReview", response };
}

/** One line, no control characters, at most `MAX_WARNING_LENGTH` characters. */
function cleanWarning(text: string): string {
  // eslint-disable-next-line no-control-regex
  const line = text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  return line.length <= MAX_WARNING_LENGTH ? line : `${line.slice(0, MAX_WARNING_LENGTH - 1)}…`;
}

/**
 * The object a response is about, for the denial message and `status.details`.
 *
 * @example
 * const subject: Subject = { group: "apps", kind: "Deployment", name: "web" };
 */
export interface Subject {
  group: string;
  kind: string;
  name: string;
}

/**
 * The response for `validation`: a 422 denial with one cause per field when it has errors, otherwise an
 * admission with its warnings and audit annotations.
 *
 * @example
 * responseFor(uid, { errors: [{ field: "metadata.labels", message: "…" }], warnings: [] }, subject).allowed; // false
 */
export function responseFor(
  uid: string,
  validation: Validation,
  subject: Subject,
): AdmissionResponse {
  const response: AdmissionResponse = { uid, allowed: validation.errors.length === 0 };
  const warnings = validation.warnings.slice(0, MAX_WARNINGS).map(cleanWarning);
  if (warnings.length) response.warnings = warnings;
  if (validation.auditAnnotations && Object.keys(validation.auditAnnotations).length)
    response.auditAnnotations = validation.auditAnnotations;
  if (!response.allowed) {
    const causes = validation.errors.map((e) => ({
      reason: "FieldValueInvalid" as const,
      field: e.field,
      message: e.message,
    }));
    response.status = {
      status: "Failure",
      code: 422,
      reason: "Invalid",
      message: `${subject.kind} "${subject.name}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join("; ")}`,
      details: { name: subject.name, group: subject.group, kind: subject.kind, causes },
    };
  }
  return response;
}

/**
 * The admission of a mutated object: `patch` (JSON Patch operations) as the API server wants it,
 * base64-encoded JSON with `patchType: JSONPatch`, and the warnings; no patch at all when it is empty.
 *
 * @example
 * mutationResponse(uid, [{ op: "add", path: "/metadata/annotations", value: { a: "b" } }], []).patchType; // "JSONPatch"
 */
export function mutationResponse(
  uid: string,
  patch: readonly object[],
  warnings: readonly string[],
): AdmissionResponse {
  const response: AdmissionResponse = { uid, allowed: true };
  const shown = warnings.slice(0, MAX_WARNINGS).map(cleanWarning);
  if (shown.length) response.warnings = shown;
  if (patch.length) {
    response.patchType = "JSONPatch";
    response.patch = Buffer.from(JSON.stringify(patch), "utf8").toString("base64");
  }
  return response;
}

/**
 * A denial for a request the webhook could not decide (a validator or the mutation threw): fail closed,
 * say why. `what` is what could not be done.
 *
 * @example
 * internalErrorResponse(uid, "the namespace could not be read").allowed; // false
 * internalErrorResponse(uid, "…", "decide whether to inject its proxy");
 */
export function internalErrorResponse(
  uid: string,
  reason: string,
  what = "validate the request",
): AdmissionResponse {
  return {
    uid,
    allowed: false,
    status: {
      status: "Failure",
      code: 500,
      reason: "InternalError",
      message: `LatticeGuard could not ${what} and denies it (fail closed): ${cleanWarning(reason)}`,
    },
  };
}
