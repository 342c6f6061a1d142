/**
 * Status conditions in the metav1.Condition shape. `lastTransitionTime` moves only when `status` flips, so
 * a reconcile that finds nothing new writes nothing new.
 *
 * @example
 * conditions = setCondition(conditions, { type: "Ready", status: "True", reason: "Ready", message: "" }, now);
 */
import type { Condition } from "../api/types.generated.ts";

/** A condition to set; the transition time is worked out from the existing one. */
export type ConditionUpdate = Omit<Condition, "lastTransitionTime">;

/** `existing` with `update` merged in, keeping the order of condition types stable. */
export function setCondition(
  existing: readonly Condition[] | undefined,
  update: ConditionUpdate,
  now: Date,
): Condition[] {
  const list = [...(existing ?? [])];
  const i = list.findIndex((c) => c.type === update.type);
  const old = i >= 0 ? list[i] : undefined;
  const lastTransitionTime =
    old && old.status === update.status ? old.lastTransitionTime : now.toISOString();
  const next: Condition = { ...update, lastTransitionTime };
  if (i >= 0) list[i] = next;
  else list.push(next);
  return list;
}

/** Sets several conditions at once. */
export function setConditions(
  existing: readonly Condition[] | undefined,
  updates: readonly ConditionUpdate[],
  now: Date,
): Condition[] {
  return updates.reduce<Condition[]>(
    (list, u) => setCondition(list, u, now),
    [...(existing ?? [])],
  );
}

/** The condition of `type`, if present. */
export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}
