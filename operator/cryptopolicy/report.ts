/**
 * What a CryptoPolicy says about itself, decided from what the reconciler gathered. Pure.
 *
 * **Conditions.** As cert-manager's Issuers and Kyverno's policies do, `Ready` reports the object's own
 * health, not the health of everything it touches; trouble that involves other objects gets a condition
 * of its own and is reported where it bites (the MCPServers of the namespace, with
 * `PolicyCompliant=False`, reason `PolicyConflict`). Several policies can select one namespace, and
 * where together they allow nothing for a list the namespace is in conflict. So:
 *
 * | The policy…                                          | `Ready`                 | `Conflicting`             |
 * | ---------------------------------------------------- | ----------------------- | ------------------------- |
 * | selects no namespace in conflict (or no namespace)   | True, `InForce`         | False, `NoConflict`       |
 * | is in conflict in some of the namespaces it selects  | True, `InForce`         | True, `EmptyIntersection` |
 * | is in conflict in every namespace it selects         | False, `PolicyConflict` | True, `EmptyIntersection` |
 *
 * One team's policy that conflicts with the cluster-wide baseline in the team's namespace thus leaves
 * the baseline Ready (it still governs every other namespace) with `Conflicting` naming that namespace,
 * while the team's policy, which governs nothing without conflict, is not Ready.
 *
 * **What it allows.** `status.kem` is the policy's own `spec.kem.algorithms` without what its
 * `minimumSecurityCategory` excludes, and that list in short for the `KEM` column of `kubectl get`
 * (printer columns are JSONPath, which can neither count nor filter).
 *
 * @example
 * policyConditions(undefined, 3, { selected: 12, conflicts: [] }, now); // Ready=True, Conflicting=False
 * kemStatus(policy.spec); // { allowed: ["ML-KEM-768", "ML-KEM-1024"], summary: "ML-KEM-768,+1" }
 */
import { SECURITY_CATEGORY, type KemAlgorithm } from "../api/algorithms.ts";
import type { Condition, CryptoPolicySpec } from "../api/types.generated.ts";
import { setConditions, type ConditionUpdate } from "../kube/conditions.ts";

/**
 * A namespace where this policy takes part in a conflict.
 *
 * @example
 * const c: NamespaceConflict = { namespace: "team-a", policies: ["baseline", "team-a"], fields: ["spec.kem.algorithms"] };
 */
export interface NamespaceConflict {
  namespace: string;
  policies: string[];
  fields: string[];
}

/**
 * How many namespaces the policy selects, and those of them in conflict.
 *
 * @example
 * const reach: PolicyReach = { selected: coverage.namespaces, conflicts };
 */
export interface PolicyReach {
  selected: number;
  conflicts: readonly NamespaceConflict[];
}

const SHOWN = 5;

/** `Conflicting`'s message: up to five namespaces with the policies and lists, and a count of the rest. */
function conflictMessage(conflicts: readonly NamespaceConflict[]): string {
  const shown = conflicts
    .slice(0, SHOWN)
    .map(
      (c) =>
        `namespace ${c.namespace}: ${c.policies.map((p) => `"${p}"`).join(", ")} allow nothing for ${c.fields.join(", ")}`,
    );
  const more =
    conflicts.length > shown.length ? ` (and ${conflicts.length - shown.length} more)` : "";
  return shown.join("; ") + more;
}

/** `Ready`: True unless every namespace the policy selects is in conflict. */
function ready({ selected, conflicts }: PolicyReach): Omit<ConditionUpdate, "observedGeneration"> {
  const n = conflicts.length;
  if (n > 0 && n >= selected) {
    return {
      type: "Ready",
      status: "False",
      reason: "PolicyConflict",
      message:
        `Every namespace the policy selects (${n}) is in conflict: with other CryptoPolicies it ` +
        "allows nothing there for some list (see `Conflicting`)",
    };
  }
  const message =
    selected === 0
      ? "The policy is in force; it selects no namespace"
      : n === 0
        ? `The policy is in force in the ${selected} namespace(s) it selects`
        : `The policy is in force in ${selected - n} of the ${selected} namespace(s) it selects; ` +
          `in the other ${n}, it conflicts with other CryptoPolicies (see \`Conflicting\`)`;
  return { type: "Ready", status: "True", reason: "InForce", message };
}

/**
 * `Ready` and `Conflicting` for a policy that reaches `reach`.
 *
 * @example
 * policyConditions(policy.status?.conditions, 2, { selected: 3, conflicts: [inTeamA] }, now);
 * // Ready=True (in force in 2 of 3), Conflicting=True naming team-a
 */
export function policyConditions(
  existing: readonly Condition[] | undefined,
  generation: number,
  reach: PolicyReach,
  now: Date,
): Condition[] {
  const observedGeneration = generation;
  const conflicting: Omit<ConditionUpdate, "observedGeneration"> = reach.conflicts.length
    ? {
        type: "Conflicting",
        status: "True",
        reason: "EmptyIntersection",
        message: conflictMessage(reach.conflicts),
      }
    : {
        type: "Conflicting",
        status: "False",
        reason: "NoConflict",
        message: "No namespace's policies conflict",
      };
  return setConditions(
    existing,
    [ready(reach), conflicting].map((c) => ({ ...c, observedGeneration })),
    now,
  );
}

/**
 * A list in short: its first entry, and how many follow (`ML-KEM-768,+2`); empty for an empty list.
 *
 * @example
 * summarize(["ML-KEM-768", "ML-KEM-1024", "X-Wing"]); // "ML-KEM-768,+2"
 * summarize(["ML-KEM-1024"]); // "ML-KEM-1024"
 */
export function summarize(names: readonly string[]): string {
  const [first = "", ...rest] = names;
  return rest.length ? `${first},+${rest.length}` : first;
}

/**
 * What the policy allows of KEMs on its own, in its order of preference, and that in short.
 *
 * @example
 * kemStatus({ ...spec, minimumSecurityCategory: 3, kem: { ...kem, algorithms: ["ML-KEM-512", "X-Wing"] } });
 * // { allowed: ["X-Wing"], summary: "X-Wing" }
 */
export function kemStatus(spec: Pick<CryptoPolicySpec, "kem" | "minimumSecurityCategory">): {
  allowed: KemAlgorithm[];
  summary: string;
} {
  const allowed = spec.kem.algorithms.filter(
    (a) => SECURITY_CATEGORY[a] >= spec.minimumSecurityCategory,
  );
  return { allowed, summary: summarize(allowed) };
}
