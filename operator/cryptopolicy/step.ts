/**
 * Where a CryptoPolicy stands on its enforcement schedule, and what to announce. Pure.
 *
 * The mode itself is never read from here: the webhook computes it from spec and its own clock on every
 * replica (operator/policy/schedule.ts). This module only reports it, on the leader:
 *
 * - `status.enforcement.current` / `next`: the step in force and the one after it.
 * - `EnforcementStepApproaching`: once `noticeBefore` ahead of each step (at once for a step added later
 *   than that). `status.enforcement.noticeGivenFor` records the step announced, so the notice is given
 *   once across reconciles, restarts and replicas; a step moved to another time is announced again.
 * - `EnforcementStepChanged`: once when a step takes effect, recognised by `current.from` differing from
 *   what status last said. A step missed while no leader ran is announced when one next reconciles; of
 *   several missed steps, only the one now in force.
 *
 * Events are recorded after the status that records them is written, so a crash in between loses an
 * Event rather than repeating it. The reconcile is requeued at the next notice time or step, whichever
 * comes first.
 *
 * @example
 * const plan = planStep(policy.spec, policy.status?.enforcement, now, 3);
 * plan.requeueAfterMs; // until the next notice or step; undefined when none is left
 */
import { DEFAULT_NOTICE_BEFORE } from "../api/cryptopolicy.schema.ts";
import type { CryptoPolicySpec, CryptoPolicyStatus } from "../api/types.generated.ts";
import { formatDuration, parseDuration } from "../policy/duration.ts";
import { scheduleSteps, stepAt, type EnforcementStep } from "../policy/schedule.ts";

type StepStatus = Omit<NonNullable<CryptoPolicyStatus["enforcement"]>, "denyPreview">;

/**
 * An Event the reconcile records on the policy once its status is written.
 *
 * @example
 * const e: StepEvent = { type: "Normal", reason: "EnforcementStepChanged", message: "…" };
 */
export interface StepEvent {
  type: "Normal" | "Warning";
  reason: "EnforcementStepApproaching" | "EnforcementStepChanged";
  message: string;
}

/**
 * What {@link planStep} decided.
 *
 * @example
 * const { status, events, requeueAfterMs } = plan;
 */
export interface StepPlan {
  status: StepStatus;
  events: StepEvent[];
  requeueAfterMs?: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

const consequence = (mode: string, denied: number) =>
  mode === "Enforce"
    ? `${denied} pod(s) in the namespaces it selects would be denied`
    : mode === "Warn"
      ? `${denied} pod(s) in the namespaces it selects break it and will be admitted with warnings`
      : `${denied} pod(s) in the namespaces it selects break it and will be recorded`;

function changed(mode: string, from: string, denied: number): StepEvent {
  return {
    type: mode === "Enforce" ? "Warning" : "Normal",
    reason: "EnforcementStepChanged",
    message: `Enforcement step ${mode} took effect at ${from}: ${consequence(mode, denied)}`,
  };
}

function approaching(next: EnforcementStep, now: number, denied: number): StepEvent {
  const left = formatDuration(Math.ceil((next.from - now) / 1000) * 1000);
  return {
    type: next.mode === "Enforce" && denied > 0 ? "Warning" : "Normal",
    reason: "EnforcementStepApproaching",
    message:
      `Enforcement step ${next.mode} takes effect at ${iso(next.from)} ` +
      `(in ${left}): ${consequence(next.mode, denied)} today`,
  };
}

/**
 * The schedule's status, Events and requeue at `now` (epoch milliseconds); `denied` is the deny preview,
 * for the Events' messages.
 *
 * @example
 * planStep(spec, undefined, Date.parse("2027-01-01T00:00:00Z"), 0).status.current; // { mode: "Warn", from: "2027-01-01T00:00:00.000Z" }
 */
export function planStep(
  spec: Pick<CryptoPolicySpec, "enforcement" | "enforcementSchedule">,
  previous: CryptoPolicyStatus["enforcement"],
  now: number,
  denied: number,
): StepPlan {
  const field = "spec.enforcementSchedule";
  const steps = scheduleSteps(spec, field);
  const noticeMs = parseDuration(
    spec.enforcementSchedule?.noticeBefore ?? DEFAULT_NOTICE_BEFORE,
    `${field}.noticeBefore`,
  );
  const { current, next } = stepAt(spec.enforcement, steps, now);
  const status: StepStatus = {
    current: { mode: current.mode, ...(current.from !== undefined && { from: iso(current.from) }) },
    ...(previous?.noticeGivenFor && { noticeGivenFor: previous.noticeGivenFor }),
  };
  const from = status.current!.from;
  const events: StepEvent[] = [];
  if (from !== undefined && previous?.current?.from !== from)
    events.push(changed(current.mode, from, denied));
  if (!next) return { status, events };
  const noticeTime = next.from - noticeMs;
  status.next = { mode: next.mode, from: iso(next.from), noticeTime: iso(noticeTime) };
  if (now >= noticeTime && status.noticeGivenFor !== status.next.from) {
    status.noticeGivenFor = status.next.from;
    events.push(approaching(next, now, denied));
  }
  const requeueAfterMs = now < noticeTime ? noticeTime - now : next.from - now;
  return { status, events, requeueAfterMs };
}
