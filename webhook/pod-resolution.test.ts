import { describe, expect, it } from "vitest";
import type { CryptoPolicy } from "../operator/api/types.generated.ts";
import { resolvePolicy } from "../operator/policy/merge.ts";
import { resolutionFor } from "./pod-resolution.ts";
import { policy } from "./testing/fixtures.ts";
import { AUDIT, ENFORCE, SELECT, WARN } from "./testing/run-pod.ts";

const labels = () => ({ "kubernetes.io/metadata.name": "shop", tier: "mcp" });

describe("resolutionFor", () => {
  it("reuses the resolution while the labels and policies are the same objects", () => {
    const shop = labels();
    const policies = [AUDIT, ENFORCE];
    const first = resolutionFor(policies, shop);
    expect(first).toEqual(resolvePolicy(policies, shop));
    expect(resolutionFor(policies, shop)).toBe(first);
    expect(resolutionFor([AUDIT, ENFORCE], shop)).toBe(first); // a new list of the same objects
  });

  it.each<[string, (shop: Record<string, string>) => [CryptoPolicy[], Record<string, string>]]>([
    [
      "a policy replaced by a new object of the same name",
      (shop) => [[AUDIT, policy("enforce", { ...SELECT, enforcement: "Warn" })], shop],
    ],
    ["a policy added", (shop) => [[AUDIT, ENFORCE, WARN], shop]],
    ["a policy removed", (shop) => [[AUDIT], shop]],
    ["the policies in another order", (shop) => [[ENFORCE, AUDIT], shop]],
    ["equal labels in a new object", () => [[AUDIT, ENFORCE], labels()]],
  ])("resolves anew after %s", (_, change) => {
    const shop = labels();
    const first = resolutionFor([AUDIT, ENFORCE], shop);
    const [policies, now] = change(shop);
    const next = resolutionFor(policies, now);
    expect(next).not.toBe(first);
    expect(next).toEqual(resolvePolicy(policies, now));
  });

  it("resolves a namespace without labels every time", () => {
    const first = resolutionFor([ENFORCE], undefined);
    expect(first).toEqual(resolvePolicy([ENFORCE], undefined));
    expect(resolutionFor([ENFORCE], undefined)).not.toBe(first);
  });
});
