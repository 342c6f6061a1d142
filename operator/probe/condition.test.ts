import { describe, expect, it } from "vitest";
import { transportCondition, transportViolations } from "./condition.ts";

const now = new Date("2030-01-01T00:00:00Z");

describe("transportCondition", () => {
  it("adds nothing before the first probe", () => {
    expect(transportCondition([], { metadata: {}, status: {} }, now)).toEqual([]);
  });

  it.each([
    ["Verified", "True", "PostQuantumVerified"],
    ["ClassicalGroupAccepted", "False", "ClassicalGroupAccepted"],
    ["NoEndpoints", "False", "NoEndpoints"],
  ] as const)("%s → %s %s", (result, status, reason) => {
    const [condition] = transportCondition(
      [],
      { metadata: { generation: 3 }, status: { transport: { result, message: "m" } } },
      now,
    );
    expect(condition).toEqual({
      type: "TransportVerified",
      status,
      reason,
      message: "m",
      observedGeneration: 3,
      lastTransitionTime: now.toISOString(),
    });
  });
});

describe("transportViolations", () => {
  it.each([
    ["Enforce", 1, ["FalseTransportClaim"]],
    ["Enforce", 0, []],
    ["Warn", 2, []],
    ["Audit", 2, []],
  ] as const)("%s with %d false claims", (mode, falseClaims, reasons) => {
    const found = transportViolations({ falseClaims, message: "x" }, mode);
    expect(found.map((v) => v.reason)).toEqual(reasons);
  });
});
