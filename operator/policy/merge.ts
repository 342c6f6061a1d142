/**
 * The effective policy of a namespace: every CryptoPolicy that selects it, merged so that the strictest
 * wins. Allowed algorithms and groups are intersected (in the preference order of the first policy by
 * name) and filtered by the highest `minimumSecurityCategory`; periods and TTLs take the shortest value;
 * enforcement takes the strongest mode, at every instant of the policies' enforcement schedules (see
 * schedule.ts: {@link inForceAt} gives the mode in force at a time). An empty intersection is a conflict that names the policies and the
 * fields involved. Where no policy selects a namespace, the CRD's defaults are in force, in `Audit` mode.
 *
 * @example
 * const r = resolvePolicy([baseline, restricted], { "latticeguard.dev/tier": "restricted" });
 * if (r.kind === "Resolved") r.policy.kemAlgorithms; // ["ML-KEM-1024"]
 */
import {
  SECURITY_CATEGORY,
  type KemAlgorithm,
  type KeyExchangeGroup,
  type SecurityCategory,
  type SignatureAlgorithm,
} from "../api/algorithms.ts";
import { POLICY_DEFAULTS, type EnforcementMode } from "../api/cryptopolicy.schema.ts";
import type { CryptoPolicy } from "../api/types.generated.ts";
import { parseDuration } from "./duration.ts";
import { mergeTimelines, modeAt, scheduleSteps, type EnforcementStep } from "./schedule.ts";
import { selects } from "./selector.ts";

/** The cryptography in force for one namespace. */
export interface EffectivePolicy {
  /** Names of the CryptoPolicies merged into this one, sorted; empty when the defaults apply. */
  policies: string[];
  /**
   * The mode before the first step of `schedule`; what is in force at a time is
   * `inForceAt(resolution, now).policy.enforcement`.
   */
  enforcement: EnforcementMode;
  /** The merged enforcement schedule: from each step's `from` on, its mode. Empty without one. */
  schedule: EnforcementStep[];
  keyExchange: KeyExchangeGroup[];
  kemAlgorithms: KemAlgorithm[];
  identityAlgorithms: SignatureAlgorithm[];
  rotationPeriodMs: number;
  gracePeriodMs: number;
  identityTtlMs: number;
  minimumSecurityCategory: SecurityCategory;
  /** Whether pods may opt out of the injected proxy: only when every policy allows it. */
  allowOptOut: boolean;
}

/** The outcome of merging: a policy, or a conflict that no object could satisfy. */
export type PolicyResolution =
  | { kind: "Resolved"; policy: EffectivePolicy }
  | {
      kind: "Conflict";
      /** The merge with its empty lists: periods and enforcement still apply. */
      policy: EffectivePolicy;
      policies: string[];
      fields: string[];
      message: string;
    };

/** The policy in force where no CryptoPolicy selects a namespace. */
export const DEFAULT_POLICY: EffectivePolicy = {
  policies: [],
  enforcement: POLICY_DEFAULTS.enforcement,
  schedule: [],
  keyExchange: [...POLICY_DEFAULTS.keyExchange],
  kemAlgorithms: [...POLICY_DEFAULTS.kemAlgorithms],
  identityAlgorithms: [...POLICY_DEFAULTS.identityAlgorithms],
  rotationPeriodMs: parseDuration(POLICY_DEFAULTS.rotationPeriod, "rotationPeriod"),
  gracePeriodMs: parseDuration(POLICY_DEFAULTS.gracePeriod, "gracePeriod"),
  identityTtlMs: parseDuration(POLICY_DEFAULTS.identityTtl, "ttl"),
  minimumSecurityCategory: POLICY_DEFAULTS.minimumSecurityCategory,
  allowOptOut: POLICY_DEFAULTS.allowOptOut,
};

/** The CryptoPolicies among `policies` whose `namespaceSelector` selects a namespace with `labels`. */
export function matchingPolicies(
  policies: readonly CryptoPolicy[],
  namespaceLabels: Readonly<Record<string, string>> | undefined,
): CryptoPolicy[] {
  return policies.filter((p) => selects(p.spec.namespaceSelector, namespaceLabels));
}

/** `lists[0]` in its own order, keeping what every list allows and what meets `category`. */
function intersect<T extends keyof typeof SECURITY_CATEGORY>(
  lists: readonly (readonly T[])[],
  category: number,
): T[] {
  const [first = [], ...rest] = lists;
  return first.filter((x) => rest.every((l) => l.includes(x)) && SECURITY_CATEGORY[x] >= category);
}

/** Merges the policies that select one namespace; the strictest wins. */
export function mergePolicies(matching: readonly CryptoPolicy[]): PolicyResolution {
  if (matching.length === 0) return { kind: "Resolved", policy: DEFAULT_POLICY };
  const sorted = [...matching].sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
  const names = sorted.map((p) => p.metadata.name!);
  const specs = sorted.map((p) => p.spec);
  const category = Math.max(...specs.map((s) => s.minimumSecurityCategory)) as SecurityCategory;
  const timeline = mergeTimelines(
    specs.map((s, i) => ({
      base: s.enforcement,
      steps: scheduleSteps(s, `${names[i]}: spec.enforcementSchedule`),
    })),
  );
  const policy: EffectivePolicy = {
    policies: names,
    enforcement: timeline.base,
    schedule: timeline.steps,
    keyExchange: intersect(
      specs.map((s) => s.transport.keyExchange),
      category,
    ),
    kemAlgorithms: intersect(
      specs.map((s) => s.kem.algorithms),
      category,
    ),
    identityAlgorithms: intersect(
      specs.map((s) => s.identity.algorithms),
      category,
    ),
    rotationPeriodMs: Math.min(
      ...specs.map((s, i) =>
        parseDuration(s.kem.rotationPeriod, `${names[i]}: spec.kem.rotationPeriod`),
      ),
    ),
    gracePeriodMs: Math.min(
      ...specs.map((s, i) => parseDuration(s.kem.gracePeriod, `${names[i]}: spec.kem.gracePeriod`)),
    ),
    identityTtlMs: Math.min(
      ...specs.map((s, i) => parseDuration(s.identity.ttl, `${names[i]}: spec.identity.ttl`)),
    ),
    minimumSecurityCategory: category,
    allowOptOut: specs.every((s) => s.transport.allowOptOut ?? POLICY_DEFAULTS.allowOptOut),
  };
  const empty = (
    [
      ["spec.transport.keyExchange", policy.keyExchange],
      ["spec.kem.algorithms", policy.kemAlgorithms],
      ["spec.identity.algorithms", policy.identityAlgorithms],
    ] as const
  )
    .filter(([, allowed]) => allowed.length === 0)
    .map(([field]) => field);
  if (empty.length === 0) return { kind: "Resolved", policy };
  return {
    kind: "Conflict",
    policy,
    policies: names,
    fields: empty,
    message:
      `CryptoPolicies ${names.map((n) => `"${n}"`).join(", ")} together allow nothing for ` +
      `${empty.map((f) => `\`${f}\``).join(", ")} at security category ${category} or above`,
  };
}

/** The effective policy of a namespace with `labels`, from every CryptoPolicy in the cluster. */
export function resolvePolicy(
  policies: readonly CryptoPolicy[],
  namespaceLabels: Readonly<Record<string, string>> | undefined,
): PolicyResolution {
  return mergePolicies(matchingPolicies(policies, namespaceLabels));
}

/**
 * `resolution` with the mode in force at `at` (epoch milliseconds) as its `enforcement` and the steps
 * already taken dropped from its `schedule`; `resolution` itself when no step has been taken.
 *
 * @example
 * inForceAt(resolvePolicy(policies, labels), clock.now().getTime()).policy.enforcement; // "Warn"
 */
export function inForceAt(resolution: PolicyResolution, at: number): PolicyResolution {
  const { policy } = resolution;
  const taken = policy.schedule.filter((s) => s.from <= at).length;
  if (taken === 0) return resolution;
  const enforcement = modeAt({ base: policy.enforcement, steps: policy.schedule }, at);
  return {
    ...resolution,
    policy: { ...policy, enforcement, schedule: policy.schedule.slice(taken) },
  };
}
