/**
 * Staged enforcement: which mode a policy is in at a given time. A CryptoPolicy's `spec.enforcement` is
 * in force until the first step of its `spec.enforcementSchedule`; from each step's `from` on (inclusive),
 * that step's mode. The schema keeps steps in time order and each stricter than the one before, so a
 * policy's mode only ever tightens as time passes.
 *
 * Several policies in one namespace merge as everything else does: the strictest wins, at every instant.
 * The merged timeline is the strongest of each policy's mode at each of their step times, so it too only
 * tightens, and the webhook (every replica, its own clock) and the operator (the leader) compute the same
 * mode from spec and time alone, never from status. Pure.
 *
 * @example
 * const steps = scheduleSteps(policy.spec, "spec.enforcementSchedule");
 * stepAt("Audit", steps, Date.parse("2027-06-01T00:00:00Z")); // { current: { mode: "Warn", from }, next }
 */
import { MODE_RANK, type EnforcementMode } from "../api/cryptopolicy.schema.ts";
import type { CryptoPolicySpec } from "../api/types.generated.ts";

/**
 * One step of a schedule: `mode` is in force from `from` (epoch milliseconds) on.
 *
 * @example
 * const step: EnforcementStep = { mode: "Enforce", from: Date.parse("2028-01-01T00:00:00Z") };
 */
export interface EnforcementStep {
  mode: EnforcementMode;
  from: number;
}

/**
 * A mode before any step, and the steps after it, earliest first.
 *
 * @example
 * const t: Timeline = { base: "Audit", steps: [{ mode: "Enforce", from }] };
 */
export interface Timeline {
  base: EnforcementMode;
  steps: EnforcementStep[];
}

/**
 * The parsed steps of `spec.enforcementSchedule`, earliest first; empty without a schedule. Throws an
 * error naming the field (`<field>.steps[1].from`) when a time is not one.
 *
 * @example
 * scheduleSteps({ enforcementSchedule: { steps: [{ mode: "Warn", from: "2027-01-01T00:00:00Z" }], noticeBefore: "24h" } }, "spec.enforcementSchedule");
 */
export function scheduleSteps(
  spec: Pick<CryptoPolicySpec, "enforcementSchedule">,
  field: string,
): EnforcementStep[] {
  return (spec.enforcementSchedule?.steps ?? []).map((s, i) => {
    const from = Date.parse(s.from);
    if (Number.isNaN(from))
      throw new Error(`${field}.steps[${i}].from: "${s.from}" is not an RFC 3339 time`);
    return { mode: s.mode, from };
  });
}

/**
 * The step in force at `at` (`from` absent for `base`) and the one after it, if any.
 *
 * @example
 * stepAt("Audit", [{ mode: "Enforce", from: 1000 }], 999); // { current: { mode: "Audit" }, next: { mode: "Enforce", from: 1000 } }
 */
export function stepAt(
  base: EnforcementMode,
  steps: readonly EnforcementStep[],
  at: number,
): { current: { mode: EnforcementMode; from?: number }; next?: EnforcementStep } {
  const index = steps.findLastIndex((s) => s.from <= at);
  const next = steps[index + 1];
  return { current: index < 0 ? { mode: base } : steps[index]!, ...(next && { next }) };
}

/**
 * The mode in force at `at`.
 *
 * @example
 * modeAt({ base: "Audit", steps: [{ mode: "Warn", from: 1000 }] }, 1000); // "Warn"
 */
export function modeAt(timeline: Timeline, at: number): EnforcementMode {
  return stepAt(timeline.base, timeline.steps, at).current.mode;
}

const stricter = (a: EnforcementMode, b: EnforcementMode) => (MODE_RANK[b] > MODE_RANK[a] ? b : a);

/**
 * The timeline of several policies together: at every instant the strictest of their modes. Needs at
 * least one timeline.
 *
 * @example
 * mergeTimelines([{ base: "Warn", steps: [] }, { base: "Audit", steps: [{ mode: "Enforce", from: 5 }] }]);
 * // { base: "Warn", steps: [{ mode: "Enforce", from: 5 }] }
 */
export function mergeTimelines(timelines: readonly Timeline[]): Timeline {
  const base = timelines.map((t) => t.base).reduce(stricter);
  const times = [...new Set(timelines.flatMap((t) => t.steps.map((s) => s.from)))].sort(
    (a, b) => a - b,
  );
  const steps: EnforcementStep[] = [];
  let last = base;
  for (const from of times) {
    const mode = timelines.map((t) => modeAt(t, from)).reduce(stricter);
    if (mode !== last) steps.push({ mode, from });
    last = mode;
  }
  return { base, steps };
}
