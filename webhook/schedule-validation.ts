/**
 * Validation of a CryptoPolicy's `spec.enforcementSchedule` beyond what its schema can say.
 *
 * The CRD's rules check the order of the steps (each later and stricter than the one before) and the
 * first step against `spec.enforcement`; these checks repeat them in the same words with the field
 * named by index (`spec.enforcementSchedule.steps[1].from`), which a CEL rule cannot do, for CRDs
 * installed without the rules. What only a clock can tell is here alone: a **new or changed** step must
 * start after the time of the review. A step that is the same as one of the stored object's (same
 * mode, same instant) may lie in the past: it simply took effect, and an update of an old policy (a new
 * label, another KEM) must not fail because its calendar has run. So a step that has passed can be kept
 * or removed, never moved or added in the past. Pure.
 *
 * @example
 * scheduleErrors(policy.spec, oldPolicy?.spec, Date.now());
 * // [{ field: "spec.enforcementSchedule.steps[1].from", message: "must be in the future …" }]
 */
import {
  ENFORCEMENT_MODES,
  MODE_RANK,
  type EnforcementMode,
} from "../operator/api/cryptopolicy.schema.ts";
import type { CryptoPolicySpec } from "../operator/api/types.generated.ts";
import type { FieldError } from "./types.ts";

const FIELD = "spec.enforcementSchedule";

const isMode = (m: unknown): m is EnforcementMode =>
  (ENFORCEMENT_MODES as readonly unknown[]).includes(m);

/** The steps of a stored object, as `mode@instant`, to tell a kept step from a new one. */
function keptSteps(old: Partial<CryptoPolicySpec> | undefined): Set<string> {
  const steps = old?.enforcementSchedule?.steps;
  return new Set(Array.isArray(steps) ? steps.map((s) => `${s?.mode}@${Date.parse(s?.from)}`) : []);
}

/**
 * The field errors of `spec.enforcementSchedule` at `now` (epoch milliseconds); `old` is the stored
 * spec on an update.
 *
 * @example
 * scheduleErrors(spec, undefined, now); // [] for a well-formed schedule in the future
 */
export function scheduleErrors(
  spec: Partial<CryptoPolicySpec>,
  old: Partial<CryptoPolicySpec> | undefined,
  now: number,
): FieldError[] {
  const schedule = spec.enforcementSchedule;
  if (schedule === undefined) return [];
  if (!Array.isArray(schedule?.steps) || schedule.steps.length === 0)
    return [{ field: `${FIELD}.steps`, message: "must list at least one step" }];
  const kept = keptSteps(old);
  const errors: FieldError[] = [];
  schedule.steps.forEach((step, i) => {
    const at = `${FIELD}.steps[${i}]`;
    const from = Date.parse(step?.from);
    if (!isMode(step?.mode))
      errors.push({
        field: `${at}.mode`,
        message: `must be one of ${ENFORCEMENT_MODES.join(", ")}`,
      });
    if (typeof step?.from !== "string" || Number.isNaN(from)) {
      errors.push({
        field: `${at}.from`,
        message: "must be an RFC 3339 time such as `2027-01-01T00:00:00Z`",
      });
      return;
    }
    if (from <= now && !kept.has(`${step.mode}@${from}`))
      errors.push({
        field: `${at}.from`,
        message:
          `must be in the future (it is now ${new Date(now).toISOString()}): a new or changed step ` +
          "cannot take effect in the past; a step that has passed can only be kept or removed",
      });
    errors.push(...orderErrors(spec, i));
  });
  return errors;
}

/** Step `i` against the one before it, or the first step against `spec.enforcement`. */
function orderErrors(spec: Partial<CryptoPolicySpec>, i: number): FieldError[] {
  const steps = spec.enforcementSchedule!.steps;
  const step = steps[i]!;
  const at = `${FIELD}.steps[${i}]`;
  if (i === 0) {
    const base = spec.enforcement;
    return isMode(step.mode) && isMode(base) && MODE_RANK[step.mode] < MODE_RANK[base]
      ? [{ field: `${at}.mode`, message: "must not be weaker than `spec.enforcement`" }]
      : [];
  }
  const prev = steps[i - 1]!;
  const errors: FieldError[] = [];
  if (Date.parse(step.from) <= Date.parse(prev.from))
    errors.push({
      field: `${at}.from`,
      message: `must be later than \`steps[${i - 1}].from\``,
    });
  if (isMode(step.mode) && isMode(prev.mode) && MODE_RANK[step.mode] <= MODE_RANK[prev.mode])
    errors.push({
      field: `${at}.mode`,
      message: `must be stricter than \`steps[${i - 1}].mode\` (Audit, then Warn, then Enforce)`,
    });
  return errors;
}
