import { describe, expect, it } from "vitest";
import { findCondition, setCondition, setConditions } from "./conditions.ts";

const t1 = new Date("2026-11-21T10:00:00Z");
const t2 = new Date("2026-11-21T11:00:00Z");
const ready = {
  type: "Ready",
  status: "True",
  reason: "Ready",
  message: "ok",
  observedGeneration: 1,
} as const;

describe("setCondition", () => {
  it("adds a new condition stamped now", () => {
    expect(setCondition(undefined, ready, t1)).toEqual([
      { ...ready, lastTransitionTime: t1.toISOString() },
    ]);
  });

  it("keeps lastTransitionTime while the status stays, even when reason and message change", () => {
    const first = setCondition([], ready, t1);
    const second = setCondition(
      first,
      { ...ready, reason: "StillReady", message: "fine", observedGeneration: 2 },
      t2,
    );
    expect(second).toEqual([
      {
        type: "Ready",
        status: "True",
        reason: "StillReady",
        message: "fine",
        observedGeneration: 2,
        lastTransitionTime: t1.toISOString(),
      },
    ]);
  });

  it("moves lastTransitionTime when the status flips", () => {
    const first = setCondition([], ready, t1);
    const second = setCondition(first, { ...ready, status: "False", reason: "KeysMissing" }, t2);
    expect(findCondition(second, "Ready")?.lastTransitionTime).toBe(t2.toISOString());
  });

  it("keeps other conditions and their order", () => {
    const list = setConditions([], [ready, { ...ready, type: "KeysReady" }], t1);
    const updated = setCondition(list, { ...ready, status: "False" }, t2);
    expect(updated.map((c) => c.type)).toEqual(["Ready", "KeysReady"]);
    expect(findCondition(updated, "KeysReady")?.lastTransitionTime).toBe(t1.toISOString());
  });
});
