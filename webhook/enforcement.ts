/**
 * From violations to a verdict, by enforcement mode. Pure. `Enforce` denies (422, one cause per field);
 * `Warn` admits with one kubectl warning per field and an Event; `Audit` admits with audit annotations and
 * an Event. Events go to the MCPServer that covers the object, or else to its namespace, so an admitted
 * violation is visible to the namespace's users without log access.
 *
 * An update that leaves the checked part of an object unchanged (`preexisting`) is never denied, only
 * warned about: the violation predates the update (the policy changed since, or switched to `Enforce`),
 * and denying would block the object's owners, the garbage collector and finalizers from touching it,
 * down to removing a finalizer during deletion.
 *
 * @example
 * enforce({ mode: "Warn", violations, subject: 'Pod "web"', target: ns, policies: ["baseline"], eventKey: "Pod/web" });
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import type { EnforcementMode } from "../operator/api/cryptopolicy.schema.ts";
import type { FieldError, Validation } from "./types.ts";

/**
 * Violations of one object under one mode.
 *
 * @example
 * const v: Violations = { mode: "Enforce", violations: [], subject: 'Pod "web"', target: ns, policies: [], eventKey: "Pod/web" };
 */
export interface Violations {
  mode: EnforcementMode;
  violations: FieldError[];
  /** How messages name the object: `Pod "web"`, `Deployment "web"`. */
  subject: string;
  /** Where Events go: the covering MCPServer, or the namespace. */
  target: KubernetesObject;
  /** The CryptoPolicies in force; empty for the defaults. */
  policies: readonly string[];
  /** Identifies the object for Event throttling: `Pod/web-7d9c4-` for the pods of one ReplicaSet. */
  eventKey: string;
  /** The update did not change what was checked: warn instead of deny. */
  preexisting?: boolean;
}

const MAX_AUDIT_VALUE = 2000;

/**
 * `"a", "b"` for named policies, or the default policy where none selects the namespace.
 *
 * @example
 * policyPhrase(["baseline"]); // 'CryptoPolicy "baseline"'
 */
export function policyPhrase(policies: readonly string[]): string {
  if (policies.length === 0) return "the default policy (no CryptoPolicy selects this namespace)";
  const names = policies.map((p) => `"${p}"`).join(", ");
  return policies.length === 1 ? `CryptoPolicy ${names}` : `CryptoPolicies ${names}`;
}

const asLines = (violations: readonly FieldError[]) =>
  violations.map((v) => `${v.field}: ${v.message}`);

/**
 * The verdict for `v`.
 *
 * @example
 * enforce({ ...v, mode: "Enforce" }).errors.length > 0; // denied
 */
export function enforce(v: Violations): Validation {
  const { mode } = v;
  if (v.violations.length === 0) return { errors: [], warnings: [], mode };
  if (mode === "Enforce" && !v.preexisting)
    return { errors: v.violations, warnings: [], mode, violation: false };
  const lines = asLines(v.violations);
  const how = v.preexisting
    ? `admitted in ${mode} mode because this update does not change what breaks ${policyPhrase(v.policies)}`
    : `admitted in ${mode} mode although it breaks ${policyPhrase(v.policies)}`;
  const { kind, namespace, name } = { kind: v.target.kind, ...v.target.metadata };
  const events = [
    {
      target: v.target,
      message: `${v.subject} ${how}: ${lines.join("; ")}`,
      key: `${kind}/${namespace ?? ""}/${name ?? ""}|${v.eventKey}|${lines.join("|")}`,
    },
  ];
  if (mode === "Audit") {
    const violation = lines.join("; ");
    return {
      errors: [],
      warnings: [],
      mode,
      violation: true,
      events,
      auditAnnotations: {
        violation:
          violation.length <= MAX_AUDIT_VALUE
            ? violation
            : `${violation.slice(0, MAX_AUDIT_VALUE - 1)}…`,
        policies: v.policies.join(",") || "default",
      },
    };
  }
  const prefix = v.preexisting ? `${v.subject} (unchanged, not denied): ` : `${v.subject}: `;
  return {
    errors: [],
    warnings: lines.map((l) => prefix + l),
    mode,
    violation: true,
    events,
  };
}
