import { describe, expect, it } from "vitest";
import type { CryptoPolicy } from "../operator/api/types.generated.ts";
import { resolvePolicy } from "../operator/policy/merge.ts";
import { resolutionFor } from "./pod-resolution.ts";
import { policy } from "./testing/fixtures.ts";
import { AUDIT, ENFORCE, SELECT, WARN } from "./testing/run-pod.ts";

const NOW = Date.parse("2030-01-01T00:00:00Z");
const labels = () => ({ "kubernetes.io/metadata.name": "shop", tier: "mcp" });

describe("resolutionFor", () => {
  it("reuses the resolution while the labels and policies are the same objects", () => {
    const shop = labels();
    const policies = [AUDIT, ENFORCE];
    const first = resolutionFor(policies, shop, NOW);
    expect(first).toEqual(resolvePolicy(policies, shop));
    expect(resolutionFor(policies, shop, NOW)).toBe(first);
    expect(resolutionFor([AUDIT, ENFORCE], shop, NOW)).toBe(first); // a new list of the same objects
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
    const first = resolutionFor([AUDIT, ENFORCE], shop, NOW);
    const [policies, now] = change(shop);
    const next = resolutionFor(policies, now, NOW);
    expect(next).not.toBe(first);
    expect(next).toEqual(resolvePolicy(policies, now));
  });

  it("resolves a namespace without labels every time", () => {
    const first = resolutionFor([ENFORCE], undefined, NOW);
    expect(first).toEqual(resolvePolicy([ENFORCE], undefined));
    expect(resolutionFor([ENFORCE], undefined, NOW)).not.toBe(first);
  });

  it("applies the step of an enforcement schedule in force at the time of the review", () => {
    const staged = policy("staged", {
      ...SELECT,
      enforcementSchedule: {
        steps: [
          { mode: "Warn", from: "2030-01-01T00:00:10Z" },
          { mode: "Enforce", from: "2030-01-01T00:00:20Z" },
        ],
        noticeBefore: "24h",
      },
    });
    const shop = labels();
    const at = (iso: string) => resolutionFor([staged], shop, Date.parse(iso)).policy.enforcement;
    expect(at("2030-01-01T00:00:09.999Z")).toBe("Audit");
    expect(at("2030-01-01T00:00:10Z")).toBe("Warn");
    expect(at("2030-01-01T00:00:20Z")).toBe("Enforce");
    expect(resolutionFor([staged], shop, NOW)).toBe(resolutionFor([staged], shop, NOW));
  });
});
