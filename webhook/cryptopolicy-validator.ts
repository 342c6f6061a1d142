/**
 * Validation of CryptoPolicies beyond their CRD schema.
 *
 * First, the floor `minimumSecurityCategory` puts under each list: the CRD's CEL rules check it too, in
 * the same words (operator/api/security-category.ts). The API server runs its rules before calling this
 * webhook, so a user meets these errors only where the installed CRD lacks the rules (an edited or older
 * copy), and then reads the same message.
 *
 * Then the enforcement schedule (schedule-validation.ts): its order, and that a new or changed step
 * starts after the time of the review, by the webhook's own clock.
 *
 * Then what only the cluster can tell. Several policies can select one namespace and the strictest wins,
 * so a new or changed policy can leave a namespace with an empty intersection: no allowed key-exchange
 * group, KEM or identity algorithm. That is admitted (the platform team may be midway through a change),
 * with a warning naming the affected namespaces and the policies they conflict with, because MCP
 * endpoints there are denied under `Enforce` until it is fixed. Only namespaces the policy selects can be
 * affected by it. Pure.
 *
 * @example
 * validateCryptoPolicy(policy, undefined, "CREATE", context).warnings;
 * // ['CryptoPolicy "strict" leaves 2 namespace(s) with nothing allowed: shop, payments (…)']
 */
import type { V1Namespace } from "@kubernetes/client-node";
import { categoryShortfalls } from "../operator/api/security-category.ts";
import type { CryptoPolicy } from "../operator/api/types.generated.ts";
import { resolvePolicy } from "../operator/policy/merge.ts";
import { selects } from "../operator/policy/selector.ts";
import { metadataOf } from "./context.ts";
import { scheduleErrors } from "./schedule-validation.ts";
import type { Validator } from "./types.ts";

const SHOWN = 10;

/** The namespaces `policy` selects where `after` conflicts, and what they conflict over. */
function conflicts(
  policy: CryptoPolicy,
  before: readonly CryptoPolicy[],
  after: readonly CryptoPolicy[],
  namespaces: readonly V1Namespace[],
) {
  const affected: string[] = [];
  const partners = new Set<string>();
  const fields = new Set<string>();
  let preexisting = 0;
  for (const ns of namespaces) {
    const labels = ns.metadata?.labels;
    if (!selects(policy.spec.namespaceSelector, labels)) continue;
    const resolution = resolvePolicy(after, labels);
    if (resolution.kind !== "Conflict") continue;
    affected.push(ns.metadata?.name ?? "");
    if (resolvePolicy(before, labels).kind === "Conflict") preexisting++;
    for (const p of resolution.policies) if (p !== policy.metadata.name) partners.add(p);
    for (const f of resolution.fields) fields.add(f);
  }
  return { affected: affected.sort(), partners: [...partners], fields: [...fields], preexisting };
}

/**
 * The CryptoPolicy validator.
 *
 * @example
 * VALIDATORS["latticeguard.dev/v1alpha1/CryptoPolicy"] = validateCryptoPolicy;
 */
export const validateCryptoPolicy: Validator = (object, oldObject, _operation, context) => {
  const policy = object as CryptoPolicy;
  const { name, deletionTimestamp } = metadataOf(object);
  if (deletionTimestamp) return { errors: [], warnings: [] };
  if (!name || typeof policy.spec !== "object" || policy.spec === null)
    throw new TypeError("`metadata.name` and `spec` must be set");
  const old = (oldObject as CryptoPolicy | undefined)?.spec;
  const errors = [
    ...categoryShortfalls(policy.spec),
    ...scheduleErrors(policy.spec, old, context.now),
  ];
  if (errors.length) return { errors, warnings: [] };
  const others = context.cluster.policies().filter((p) => p.metadata?.name !== name);
  const before = oldObject ? [...others, oldObject as CryptoPolicy] : others;
  const found = conflicts(policy, before, [...others, policy], context.cluster.namespaces());
  const { affected, partners, fields, preexisting } = found;
  if (affected.length === 0) return { errors: [], warnings: [] };
  const shown = affected.slice(0, SHOWN).join(", ");
  const more = affected.length > SHOWN ? ` and ${affected.length - SHOWN} more` : "";
  const withWhom = partners.length
    ? ` together with ${partners.map((p) => `"${p}"`).join(", ")}`
    : "";
  const already = preexisting ? ` (${preexisting} of them already had none)` : "";
  return {
    errors: [],
    warnings: [
      `CryptoPolicy "${name}"${withWhom} leaves ${affected.length} namespace(s) with nothing allowed for ` +
        `${fields.join(", ")}: ${shown}${more}${already}; MCP endpoints there are denied under Enforce`,
    ],
    violation: true,
  };
};
