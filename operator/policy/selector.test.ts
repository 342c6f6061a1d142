import { describe, expect, it } from "vitest";
import type { LabelSelector } from "../api/types.generated.ts";
import { isEmptySelector, selects } from "./selector.ts";

const labels = { app: "mcp", tier: "restricted" };

describe("selects", () => {
  it.each<[string, LabelSelector | undefined, boolean]>([
    ["an absent selector", undefined, true],
    ["an empty selector", {}, true],
    ["matching matchLabels", { matchLabels: { app: "mcp" } }, true],
    ["a differing label value", { matchLabels: { app: "web" } }, false],
    ["a missing label", { matchLabels: { team: "a" } }, false],
    [
      "In with the value",
      { matchExpressions: [{ key: "tier", operator: "In", values: ["restricted", "x"] }] },
      true,
    ],
    [
      "In without the value",
      { matchExpressions: [{ key: "tier", operator: "In", values: ["x"] }] },
      false,
    ],
    [
      "In on a missing key",
      { matchExpressions: [{ key: "team", operator: "In", values: ["a"] }] },
      false,
    ],
    [
      "NotIn without the value",
      { matchExpressions: [{ key: "tier", operator: "NotIn", values: ["x"] }] },
      true,
    ],
    [
      "NotIn with the value",
      { matchExpressions: [{ key: "tier", operator: "NotIn", values: ["restricted"] }] },
      false,
    ],
    [
      "NotIn on a missing key",
      { matchExpressions: [{ key: "team", operator: "NotIn", values: ["a"] }] },
      true,
    ],
    ["Exists", { matchExpressions: [{ key: "app", operator: "Exists" }] }, true],
    ["Exists on a missing key", { matchExpressions: [{ key: "team", operator: "Exists" }] }, false],
    ["DoesNotExist", { matchExpressions: [{ key: "team", operator: "DoesNotExist" }] }, true],
    [
      "DoesNotExist on a present key",
      { matchExpressions: [{ key: "app", operator: "DoesNotExist" }] },
      false,
    ],
    [
      "labels and expressions that all hold",
      { matchLabels: { app: "mcp" }, matchExpressions: [{ key: "tier", operator: "Exists" }] },
      true,
    ],
    [
      "labels that hold and an expression that does not",
      {
        matchLabels: { app: "mcp" },
        matchExpressions: [{ key: "tier", operator: "DoesNotExist" }],
      },
      false,
    ],
  ])("%s: %s", (_what, selector, expected) => {
    expect(selects(selector, labels)).toBe(expected);
  });

  it("treats absent labels as none", () => {
    expect(selects({ matchLabels: { app: "mcp" } }, undefined)).toBe(false);
    expect(selects({ matchExpressions: [{ key: "a", operator: "DoesNotExist" }] }, undefined)).toBe(
      true,
    );
  });
});

describe("isEmptySelector", () => {
  it.each<[LabelSelector | undefined, boolean]>([
    [undefined, true],
    [{}, true],
    [{ matchLabels: {}, matchExpressions: [] }, true],
    [{ matchLabels: { a: "b" } }, false],
    [{ matchExpressions: [{ key: "a", operator: "Exists" }] }, false],
  ])("%j: %s", (selector, expected) => {
    expect(isEmptySelector(selector)).toBe(expected);
  });
});
