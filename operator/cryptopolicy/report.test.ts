import { describe, expect, it } from "vitest";
import type { CryptoPolicySpec } from "../api/types.generated.ts";
import { findCondition } from "../kube/conditions.ts";
import { kemStatus, policyConditions, summarize, type NamespaceConflict } from "./report.ts";

const now = new Date("2026-11-21T12:00:00Z");
const conflict = (namespace: string): NamespaceConflict => ({
  namespace,
  policies: ["baseline", "team-a"],
  fields: ["spec.kem.algorithms"],
});
const inConflict = (n: number) => Array.from({ length: n }, (_, i) => conflict(`ns${i}`));

describe("policyConditions", () => {
  // A policy that is valid stays Ready while it governs some namespace without conflict: a conflict
  // elsewhere is reported by `Conflicting` (and on the MCPServers there), not by `Ready`.
  it.each([
    ["selects no namespace", 0, 0, "True", "InForce", "False", "it selects no namespace"],
    ["governs every namespace it selects", 3, 0, "True", "InForce", "False", "in the 3 namespace"],
    [
      "conflicts in one of the namespaces it selects",
      3,
      1,
      "True",
      "InForce",
      "True",
      "in force in 2 of the 3 namespace(s) it selects; in the other 1, it conflicts",
    ],
    [
      "conflicts in every namespace it selects",
      2,
      2,
      "False",
      "PolicyConflict",
      "True",
      "Every namespace the policy selects (2) is in conflict",
    ],
  ] as const)("%s", (_what, selected, conflicts, ready, reason, conflicting, says) => {
    const c = policyConditions(undefined, 4, { selected, conflicts: inConflict(conflicts) }, now);
    expect(findCondition(c, "Ready")).toMatchObject({
      status: ready,
      reason,
      observedGeneration: 4,
    });
    expect(findCondition(c, "Ready")!.message).toContain(says);
    expect(findCondition(c, "Conflicting")).toMatchObject({
      status: conflicting,
      reason: conflicting === "True" ? "EmptyIntersection" : "NoConflict",
      observedGeneration: 4,
    });
  });

  it("names at most five conflicting namespaces and counts the rest", () => {
    const c = policyConditions(undefined, 1, { selected: 9, conflicts: inConflict(7) }, now);
    const message = findCondition(c, "Conflicting")!.message;
    expect(message).toContain(
      'namespace ns0: "baseline", "team-a" allow nothing for spec.kem.algorithms',
    );
    expect(message).toContain("namespace ns4:");
    expect(message).not.toContain("ns5");
    expect(message).toContain("(and 2 more)");
  });

  it("moves lastTransitionTime only when a status flips", () => {
    const before = policyConditions(undefined, 1, { selected: 2, conflicts: [] }, now);
    const later = new Date(now.getTime() + 60_000);
    const partly = policyConditions(before, 1, { selected: 2, conflicts: inConflict(1) }, later);
    expect(findCondition(partly, "Ready")!.lastTransitionTime).toBe(now.toISOString());
    expect(findCondition(partly, "Conflicting")!.lastTransitionTime).toBe(later.toISOString());
  });
});

describe("summarize", () => {
  it.each([
    [[], ""],
    [["ML-KEM-1024"], "ML-KEM-1024"],
    [["ML-KEM-768", "X-Wing"], "ML-KEM-768,+1"],
    [["ML-KEM-768", "ML-KEM-1024", "X-Wing"], "ML-KEM-768,+2"],
  ])("writes %j as %j", (names, summary) => {
    expect(summarize(names)).toBe(summary);
  });
});

describe("kemStatus", () => {
  const spec = (
    algorithms: CryptoPolicySpec["kem"]["algorithms"],
    minimumSecurityCategory: number,
  ): Pick<CryptoPolicySpec, "kem" | "minimumSecurityCategory"> => ({
    minimumSecurityCategory,
    kem: { algorithms, rotationPeriod: "1h", gracePeriod: "1m" },
  });

  it.each([
    [
      ["ML-KEM-768", "ML-KEM-1024", "X-Wing"],
      3,
      ["ML-KEM-768", "ML-KEM-1024", "X-Wing"],
      "ML-KEM-768,+2",
    ],
    [["X-Wing", "ML-KEM-768"], 3, ["X-Wing", "ML-KEM-768"], "X-Wing,+1"],
    [["ML-KEM-512", "ML-KEM-768"], 3, ["ML-KEM-768"], "ML-KEM-768"],
    [["ML-KEM-768", "ML-KEM-1024", "X-Wing"], 5, ["ML-KEM-1024"], "ML-KEM-1024"],
    [["ML-KEM-512"], 1, ["ML-KEM-512"], "ML-KEM-512"],
  ] as const)("allows of %j at category %d: %j", (algorithms, category, allowed, summary) => {
    expect(kemStatus(spec([...algorithms], category))).toEqual({ allowed, summary });
  });
});
