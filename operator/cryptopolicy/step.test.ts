import { describe, expect, it } from "vitest";
import type { CryptoPolicySpec, CryptoPolicyStatus } from "../api/types.generated.ts";
import { planStep } from "./step.ts";

const WARN_AT = "2030-01-02T00:00:00.000Z";
const ENFORCE_AT = "2030-01-03T00:00:00.000Z";
const T = (iso: string) => Date.parse(iso);
const HOUR = 3_600_000;
const spec: Pick<CryptoPolicySpec, "enforcement" | "enforcementSchedule"> = {
  enforcement: "Audit",
  enforcementSchedule: {
    steps: [
      { mode: "Warn", from: WARN_AT },
      { mode: "Enforce", from: ENFORCE_AT },
    ],
    noticeBefore: "1h",
  },
};
type Previous = CryptoPolicyStatus["enforcement"];
const noticed = (from: string, current?: string): Previous => ({
  current: current ? { mode: "Warn", from: current } : { mode: "Audit" },
  noticeGivenFor: from,
});

describe("planStep", () => {
  it.each<[string, number, Previous, string[], number | undefined]>([
    [
      "before the notice: nothing to say, wake at the notice",
      T(WARN_AT) - 2 * HOUR,
      undefined,
      [],
      HOUR,
    ],
    [
      "at the notice: announce the step, wake at the step",
      T(WARN_AT) - HOUR,
      undefined,
      ["EnforcementStepApproaching"],
      HOUR,
    ],
    ["after the notice was given: not again", T(WARN_AT) - 1, noticed(WARN_AT), [], 1],
    [
      "at the step: announce the change, and the next step's wake-up",
      T(WARN_AT),
      noticed(WARN_AT),
      ["EnforcementStepChanged"],
      23 * HOUR,
    ],
    [
      "at the next notice, in the next step",
      T(ENFORCE_AT) - HOUR,
      noticed(WARN_AT, WARN_AT),
      ["EnforcementStepApproaching"],
      HOUR,
    ],
    [
      "a step missed entirely (no leader ran): only the change",
      T(ENFORCE_AT) + HOUR,
      noticed(WARN_AT, WARN_AT),
      ["EnforcementStepChanged"],
      undefined,
    ],
    [
      "a step moved to another time is announced again",
      T(WARN_AT) - HOUR,
      noticed("2030-01-02T06:00:00.000Z"),
      ["EnforcementStepApproaching"],
      HOUR,
    ],
  ])("%s", (_, now, previous, reasons, requeue) => {
    const plan = planStep(spec, previous, now, 2);
    expect(plan.events.map((e) => e.reason)).toEqual(reasons);
    expect(plan.requeueAfterMs).toBe(requeue);
  });

  it("reports the current and next step with the notice time", () => {
    const { status } = planStep(spec, undefined, T(WARN_AT), 0);
    expect(status).toStrictEqual({
      current: { mode: "Warn", from: WARN_AT },
      next: { mode: "Enforce", from: ENFORCE_AT, noticeTime: "2030-01-02T23:00:00.000Z" },
    });
  });

  it("says what the step does: a Warning when Enforce takes effect, naming the deny preview", () => {
    const [changed] = planStep(spec, noticed(ENFORCE_AT, WARN_AT), T(ENFORCE_AT), 4).events;
    expect(changed).toEqual({
      type: "Warning",
      reason: "EnforcementStepChanged",
      message: `Enforcement step Enforce took effect at ${ENFORCE_AT}: 4 pod(s) in the namespaces it selects would be denied`,
    });
    const [approaching] = planStep(spec, undefined, T(WARN_AT) - HOUR, 4).events;
    expect(approaching?.message).toBe(
      `Enforcement step Warn takes effect at ${WARN_AT} (in 1h): 4 pod(s) in the namespaces it ` +
        "selects break it and will be admitted with warnings today",
    );
  });

  it("keeps spec.enforcement in force without a schedule, never requeueing", () => {
    expect(planStep({ enforcement: "Enforce" }, undefined, T(WARN_AT), 0)).toEqual({
      status: { current: { mode: "Enforce" } },
      events: [],
    });
  });

  it("defaults the notice to 24h", () => {
    const { enforcementSchedule } = spec;
    const steps = enforcementSchedule!.steps;
    const plan = planStep(
      { enforcement: "Audit", enforcementSchedule: { steps, noticeBefore: undefined! } },
      undefined,
      T(WARN_AT) - 24 * HOUR,
      0,
    );
    expect(plan.events.map((e) => e.reason)).toEqual(["EnforcementStepApproaching"]);
  });
});
