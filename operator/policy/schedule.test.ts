import { describe, expect, it } from "vitest";
import type { EnforcementMode } from "../api/cryptopolicy.schema.ts";
import { mergeTimelines, modeAt, scheduleSteps, stepAt, type Timeline } from "./schedule.ts";

const T = (iso: string) => Date.parse(iso);
const WARN_AT = T("2027-01-01T00:00:00Z");
const ENFORCE_AT = T("2028-01-01T00:00:00Z");
const STAGED: Timeline = {
  base: "Audit",
  steps: [
    { mode: "Warn", from: WARN_AT },
    { mode: "Enforce", from: ENFORCE_AT },
  ],
};

describe("stepAt", () => {
  it.each<[string, number, { mode: EnforcementMode; from?: number }, EnforcementMode | undefined]>([
    ["long before the first step", WARN_AT - 86_400_000, { mode: "Audit" }, "Warn"],
    ["a millisecond before the first step", WARN_AT - 1, { mode: "Audit" }, "Warn"],
    ["at the first step", WARN_AT, { mode: "Warn", from: WARN_AT }, "Enforce"],
    ["between steps", ENFORCE_AT - 1, { mode: "Warn", from: WARN_AT }, "Enforce"],
    ["at the last step", ENFORCE_AT, { mode: "Enforce", from: ENFORCE_AT }, undefined],
    ["after the last step", ENFORCE_AT + 1, { mode: "Enforce", from: ENFORCE_AT }, undefined],
  ])("%s", (_, at, current, next) => {
    const step = stepAt(STAGED.base, STAGED.steps, at);
    expect(step.current).toEqual(current);
    expect(step.next?.mode).toBe(next);
    expect(modeAt(STAGED, at)).toBe(current.mode);
  });

  it("keeps the base mode without a schedule", () => {
    expect(stepAt("Warn", [], ENFORCE_AT)).toEqual({ current: { mode: "Warn" } });
  });
});

describe("scheduleSteps", () => {
  it("parses RFC 3339 times", () => {
    const spec = {
      enforcementSchedule: {
        steps: [{ mode: "Enforce" as const, from: "2028-01-01T01:00:00+01:00" }],
        noticeBefore: "24h",
      },
    };
    expect(scheduleSteps(spec, "spec.enforcementSchedule")).toEqual([
      { mode: "Enforce", from: ENFORCE_AT },
    ]);
    expect(scheduleSteps({}, "spec.enforcementSchedule")).toEqual([]);
  });

  it("names the field of a time that is not one", () => {
    const spec = {
      enforcementSchedule: {
        steps: [
          { mode: "Warn" as const, from: "2027-01-01T00:00:00Z" },
          { mode: "Enforce" as const, from: "next year" },
        ],
        noticeBefore: "24h",
      },
    };
    expect(() => scheduleSteps(spec, "p: spec.enforcementSchedule")).toThrow(
      'p: spec.enforcementSchedule.steps[1].from: "next year" is not an RFC 3339 time',
    );
  });
});

describe("mergeTimelines", () => {
  it.each<[string, Timeline[], Timeline]>([
    ["one timeline as it is", [STAGED], STAGED],
    [
      "a stricter base hides steps that are not stricter",
      [STAGED, { base: "Warn", steps: [] }],
      { base: "Warn", steps: [{ mode: "Enforce", from: ENFORCE_AT }] },
    ],
    [
      "an always-enforcing policy wins at every instant",
      [STAGED, { base: "Enforce", steps: [] }],
      { base: "Enforce", steps: [] },
    ],
    [
      "the earlier of two steps to the same mode",
      [STAGED, { base: "Audit", steps: [{ mode: "Enforce", from: WARN_AT + 5 }] }],
      {
        base: "Audit",
        steps: [
          { mode: "Warn", from: WARN_AT },
          { mode: "Enforce", from: WARN_AT + 5 },
        ],
      },
    ],
    [
      "interleaved steps",
      [
        { base: "Audit", steps: [{ mode: "Enforce", from: ENFORCE_AT }] },
        { base: "Audit", steps: [{ mode: "Warn", from: WARN_AT }] },
      ],
      STAGED,
    ],
  ])("%s", (_, timelines, merged) => {
    expect(mergeTimelines(timelines)).toEqual(merged);
  });
});
