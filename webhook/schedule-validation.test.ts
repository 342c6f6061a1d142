import { describe, expect, it } from "vitest";
import type { CryptoPolicySpec } from "../operator/api/types.generated.ts";
import { scheduleErrors } from "./schedule-validation.ts";

const NOW = Date.parse("2030-01-01T00:00:00Z");
type Step = { mode: string; from: string };
const spec = (steps: Step[], enforcement = "Audit") =>
  ({
    enforcement,
    enforcementSchedule: { steps, noticeBefore: "24h" },
  }) as unknown as Partial<CryptoPolicySpec>;
const SOON = "2030-01-01T00:00:05Z";
const LATER = "2030-01-01T00:00:10Z";
const PAST = "2029-12-31T23:59:59Z";

describe("scheduleErrors", () => {
  it.each<[string, Step[], string, string[]]>([
    [
      "a schedule in the future",
      [
        { mode: "Warn", from: SOON },
        { mode: "Enforce", from: LATER },
      ],
      "Audit",
      [],
    ],
    ["a first step equal to spec.enforcement", [{ mode: "Audit", from: SOON }], "Audit", []],
    [
      "a step in the past",
      [{ mode: "Warn", from: PAST }],
      "Audit",
      ["spec.enforcementSchedule.steps[0].from"],
    ],
    [
      "a step now",
      [{ mode: "Warn", from: "2030-01-01T00:00:00Z" }],
      "Audit",
      ["spec.enforcementSchedule.steps[0].from"],
    ],
    [
      "unordered steps",
      [
        { mode: "Warn", from: LATER },
        { mode: "Enforce", from: SOON },
      ],
      "Audit",
      ["spec.enforcementSchedule.steps[1].from"],
    ],
    [
      "duplicate times",
      [
        { mode: "Warn", from: SOON },
        { mode: "Enforce", from: SOON },
      ],
      "Audit",
      ["spec.enforcementSchedule.steps[1].from"],
    ],
    [
      "a duplicate mode",
      [
        { mode: "Warn", from: SOON },
        { mode: "Warn", from: LATER },
      ],
      "Audit",
      ["spec.enforcementSchedule.steps[1].mode"],
    ],
    [
      "a looser step",
      [
        { mode: "Enforce", from: SOON },
        { mode: "Warn", from: LATER },
      ],
      "Audit",
      ["spec.enforcementSchedule.steps[1].mode"],
    ],
    [
      "a first step weaker than spec.enforcement",
      [{ mode: "Audit", from: SOON }],
      "Warn",
      ["spec.enforcementSchedule.steps[0].mode"],
    ],
    [
      "an unknown mode",
      [{ mode: "Block", from: SOON }],
      "Audit",
      ["spec.enforcementSchedule.steps[0].mode"],
    ],
    [
      "a time that is not one",
      [{ mode: "Warn", from: "soon" }],
      "Audit",
      ["spec.enforcementSchedule.steps[0].from"],
    ],
    ["no steps", [], "Audit", ["spec.enforcementSchedule.steps"]],
  ])("on create: %s", (_, steps, enforcement, fields) => {
    expect(scheduleErrors(spec(steps, enforcement), undefined, NOW).map((e) => e.field)).toEqual(
      fields,
    );
  });

  it("admits no schedule", () => {
    expect(scheduleErrors({ enforcement: "Audit" }, undefined, NOW)).toEqual([]);
  });

  it("keeps a step that has passed on update, written either way, but refuses a moved or added one", () => {
    const old = spec([
      { mode: "Warn", from: PAST },
      { mode: "Enforce", from: LATER },
    ]);
    const sameInstant = "2030-01-01T00:59:59+01:00";
    const fields = (steps: Step[]) => scheduleErrors(spec(steps), old, NOW).map((e) => e.field);
    expect(
      fields([
        { mode: "Warn", from: PAST },
        { mode: "Enforce", from: LATER },
      ]),
    ).toEqual([]);
    expect(fields([{ mode: "Warn", from: sameInstant }])).toEqual([]);
    expect(fields([{ mode: "Warn", from: "2029-12-31T00:00:00Z" }])).toEqual([
      "spec.enforcementSchedule.steps[0].from",
    ]);
    expect(fields([{ mode: "Enforce", from: PAST }])).toEqual([
      "spec.enforcementSchedule.steps[0].from",
    ]);
  });

  it("says why a past step is refused", () => {
    const [error] = scheduleErrors(spec([{ mode: "Warn", from: PAST }]), undefined, NOW);
    expect(error?.message).toContain("must be in the future (it is now 2030-01-01T00:00:00.000Z)");
  });
});
