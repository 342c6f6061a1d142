import { describe, expect, it } from "vitest";
import { namespaceFlag, objectNameFlag, watchNamespacesFlag } from "./kube-names.ts";

describe("namespaceFlag", () => {
  it.each([
    ["shop", {}, "shop"],
    ["", { POD_NAMESPACE: "lg" }, "lg"],
    ["", {}, "latticeguard-system"],
  ])("reads %j with env %j as %s", (raw, env: Record<string, string>, want) => {
    expect(namespaceFlag(env)(raw)).toBe(want);
  });

  it("refuses a name that is not a label", () => {
    expect(() => namespaceFlag({})("Shop")).toThrow('"Shop" is not a namespace name');
  });
});

describe("watchNamespacesFlag", () => {
  it.each([
    ["", undefined],
    ["a", ["a"]],
    ["a, b,a", ["a", "b"]],
  ])("reads %j", (raw, want) => {
    expect(watchNamespacesFlag(raw)).toEqual(want);
  });

  it("names every bad namespace", () => {
    expect(() => watchNamespacesFlag("a,B,c_d")).toThrow('not one: "B", "c_d"');
  });
});

describe("objectNameFlag", () => {
  it.each(["a", "latticeguard.trust-bundle"])("accepts %s", (raw) => {
    expect(objectNameFlag(raw)).toBe(raw);
  });

  it.each(["", "-a", "A", "a/b"])("refuses %j", (raw) => {
    expect(() => objectNameFlag(raw)).toThrow("must be a Kubernetes object name");
  });
});
